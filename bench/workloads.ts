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
  /**
   * Writes to existing deals. The service writes nothing for a request that changes nothing,
   * so every request must change its deal: `variables` is then called with one running count
   * for all of the workload's requests (checks, captures, warm-ups, timed runs, baselines), never
   * the same number twice, and the bench checks afterwards that the deals' versions rose by one
   * per request.
   */
  changes?: { dealIds: string[] };
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

const LIFECYCLE = "version stageEnteredAt closedAt archivedAt";
const DEAL = `
  id name version stage { id key label } stageEnteredAt closedAt archivedAt updatedAt
  stageHistory { fromStage { id } toStage { id } changedAt secondsInFromStage changedBy { id } }`;

const connectionOf = (fields: string) => `totalCount edges { cursor node { ${fields} } } pageInfo { hasNextPage endCursor }`;

/**
 * What a Kanban card of the board shows, through the PipelineDeal interface (the bench's
 * documents select fields only, no inline fragments).
 */
const CARD = "id name currency stageEnteredAt stage { id } owner { id firstName lastName } workspace { id name }";
const COLUMN = `
  stage { id key label color }
  count totalValue { currency amount } weightedValue { currency amount }
  deals { pageInfo { hasNextPage endCursor } edges { cursor node { ${CARD} } } }`;
/**
 * A last name of the data set's, as a person types it. The same in every request: the baseline
 * replays the service's statements with other ids, never other words.
 */
const SEARCH = "garcia";
const BOARD_SIZE = 20;
const SEARCH_SIZE = 20;

const LIST_SIZE = 100;
/** The REFERRAL stages the move workload takes its deals back and forth between. */
const MOVE_STAGES = ["lead", "introduced"] as const;

/** The workloads, in the order they run: reads first, so the lists read the loaded data set, then writes. */
export function workloads(dataset: Dataset): Workload[] {
  const { contactIds, productIds, customers, visibleReferralIds, changeableReferrals, referralStageIds } = dataset;
  // Deals users[0] may change. The updates take those of one shape (a product, no referral
  // sources), so that every update sends the same statements and the baseline replays exactly
  // them; the moves (whose answer reads no product or facilitators) take those in the first stage.
  const updated = changeableReferrals.filter((deal) => deal.hasProduct && deal.referralSources === 0).map((deal) => deal.id);
  const moved = changeableReferrals.filter((deal) => deal.stage === MOVE_STAGES[0]).map((deal) => deal.id);
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
      name: `pipelineBoard(REFERRAL, dealsPerStage: ${BOARD_SIZE})`,
      document: `query PipelineBoard($dealsPerStage: Int!) { pipelineBoard(pipeline: REFERRAL, dealsPerStage: $dealsPerStage) { columns { ${COLUMN} } } }`,
      variables: () => ({ dealsPerStage: BOARD_SIZE }),
      pageSize: (first) => ({ dealsPerStage: first }),
    },
    {
      name: `searchDeals(first: ${SEARCH_SIZE})`,
      document: `query SearchDeals($first: Int!, $search: String!) {
        referralOpportunities(first: $first, filter: { search: $search }) { ${connectionOf(REFERRAL)} } }`,
      variables: () => ({ first: SEARCH_SIZE, search: SEARCH }),
      pageSize: (first) => ({ first, search: SEARCH }),
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
    {
      // Request n changes deal n mod N; each visit to a deal gives it another name and the
      // other of two values, so every request writes.
      name: "updateReferralOpportunity",
      document: `mutation UpdateReferralOpportunity($id: ID!, $input: UpdateReferralOpportunityInput!) {
        updateReferralOpportunity(id: $id, input: $input) { success message data { ${REFERRAL} ${LIFECYCLE} } } }`,
      variables: (n) => {
        const round = Math.floor(n / updated.length);
        return {
          id: updated[n % updated.length],
          input: { name: `Warm introduction, revision ${round + 1}`, expectedValue: round % 2 === 0 ? 12_500 : 15_000.5 },
        };
      },
      changes: { dealIds: updated },
    },
    {
      // Request n moves deal n mod N (all loaded in the first stage) to the second stage on its
      // 1st, 3rd, … visit and back on its 2nd, 4th, …: every request moves its deal.
      name: "moveDeal",
      document: `mutation MoveDeal($id: ID!, $stageId: ID!) {
        moveDeal(id: $id, stageId: $stageId) { success message data { ${DEAL} } } }`,
      variables: (n) => ({
        id: moved[n % moved.length],
        stageId: referralStageIds[MOVE_STAGES[(Math.floor(n / moved.length) + 1) % 2]],
      }),
      changes: { dealIds: moved },
    },
  ];
}
