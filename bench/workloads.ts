import { Dataset } from "./dataset";
import { Random } from "./prng";
import { opportunityListResponse, peopleResponse, referralListResponse, referralResponse, ResponseBuilder } from "./responses";

export interface Workload {
  /** The label in the table. */
  name: string;
  document: string;
  /** The variables of the i-th request: deterministic, and varied where the workload says so. */
  variables(i: number): Record<string, unknown>;
  /** Lists: the variables for another page size, to check that the SQL statement count does not grow with it. */
  pageSize?(first: number): Record<string, unknown>;
  /** Reads: the response built by hand for the baseline; writes have none. */
  respond?: ResponseBuilder;
  /** The target for the ratio to the baseline at 10 connections. */
  targetRatio?: number;
}

const PARTY = "type id firstName lastName email name company { id name }";
const REFERRAL = `
  id pipelineDealId name description expectedValue currency
  stage { id label color description sortOrder }
  owner { id firstName lastName email }
  seeker { ${PARTY} }
  provider { ${PARTY} }
  connector { id firstName lastName email company { id name } }
  facilitators { id userId companyId role side user { id firstName lastName email } company { id name } }
  product { id name }
  workspace { id name }
  visibilityMode createdAt updatedAt`;
const OPPORTUNITY = `
  id pipelineDealId title name description estimatedValue currency
  stage { id key label color sortOrder probability }
  pipelineType source expectedCloseDate probability solutionFamilies scopeSummary competitorNotes
  winLossReason nextStepDescription nextStepDate bidDueDate budgetConfirmed priority lostReasonCategory
  technicalRequirements customerId primaryContactId siteId ownerUserId
  customer { id name }
  primaryContact { id firstName lastName email }
  site { id name address }
  owner { id firstName lastName email }
  workspace { id name }
  visibilityMode createdAt updatedAt`;
const PERSON = "id type firstName lastName email company { id name } referredBy { id firstName lastName }";

const connectionOf = (fields: string) => `totalCount edges { cursor node { ${fields} } } pageInfo { hasNextPage endCursor }`;

const LIST_SIZE = 100;

/** The workloads, in the order they run: reads first, so the lists read the loaded data set, then writes. */
export function workloads(dataset: Dataset): Workload[] {
  const { contactIds, productIds, customers, visibleReferralIds } = dataset;
  const list = (first: number) => ({ first });
  return [
    {
      name: `referralOpportunities(first: ${LIST_SIZE})`,
      document: `query ReferralOpportunities($first: Int!) { referralOpportunities(first: $first) { ${connectionOf(REFERRAL)} } }`,
      variables: () => list(LIST_SIZE),
      pageSize: list,
      respond: referralListResponse,
      targetRatio: 0.5,
    },
    {
      name: `opportunities(first: ${LIST_SIZE})`,
      document: `query Opportunities($first: Int!) { opportunities(first: $first) { ${connectionOf(OPPORTUNITY)} } }`,
      variables: () => list(LIST_SIZE),
      pageSize: list,
      respond: opportunityListResponse,
      targetRatio: 0.5,
    },
    {
      name: "referralOpportunity(id)",
      document: `query ReferralOpportunity($id: ID!) { referralOpportunity(id: $id) { ${REFERRAL} } }`,
      variables: (i) => ({ id: visibleReferralIds[(i * 7_919) % visibleReferralIds.length] }),
      respond: referralResponse,
    },
    {
      name: `people(first: ${LIST_SIZE})`,
      document: `query People($first: Int!) { people(first: $first) { ${connectionOf(PERSON)} } }`,
      variables: () => list(LIST_SIZE),
      pageSize: list,
      respond: peopleResponse,
    },
    {
      name: "createReferralOpportunity",
      document: `mutation CreateReferralOpportunity($input: CreateReferralOpportunityInput!) {
        createReferralOpportunity(input: $input) { success message data { ${REFERRAL} } } }`,
      variables: (i) => {
        const rng = new Random(1_000_003 + i);
        const seekerId = rng.pick(contactIds);
        let providerId = rng.pick(contactIds);
        while (providerId === seekerId) providerId = rng.pick(contactIds);
        return {
          input: {
            seekerId,
            providerId,
            description: "Introduced at the partner summit.",
            expectedValue: rng.int(1_000, 250_000),
            currency: rng.pick(["USD", "EUR", "GBP"]),
            productId: rng.pick(productIds),
          },
        };
      },
      targetRatio: 0.3,
    },
    {
      name: "createOpportunity",
      document: `mutation CreateOpportunity($input: CreateOpportunityInput!) {
        createOpportunity(input: $input) { success message data { ${OPPORTUNITY} } } }`,
      variables: (i) => {
        const rng = new Random(2_000_003 + i);
        const customer = rng.pick(customers);
        return {
          input: {
            customerId: customer.id,
            siteId: rng.pick(customer.siteIds),
            primaryContactId: customer.employeeIds.length > 0 ? rng.pick(customer.employeeIds) : undefined,
            title: `Controls retrofit ${i}`,
            stage: rng.pick(["LEAD", "QUALIFIED", "SURVEY", "PROPOSAL"]),
            pipelineType: rng.pick(["NEW_CONSTRUCTION", "RETROFIT", "SERVICE_AGREEMENT", "EXPANSION"]),
            source: "REFERRAL",
            estimatedValue: rng.int(10_000, 2_000_000),
            expectedCloseDate: "2026-09-30T00:00:00.000Z",
            solutionFamilies: ["hvac", "controls"],
            scopeSummary: "Replace the rooftop units and add a BACnet front end.",
            budgetConfirmed: rng.chance(0.5),
            priority: rng.pick(["MEDIUM", "HIGH"]),
            visibilityMode: rng.pick(["GLOBAL", "WORKSPACE_LOCAL"]),
          },
        };
      },
      targetRatio: 0.3,
    },
  ];
}
