import { canonicalDecimal } from "../src/core/graphql/decimal";
import { RecordSet, Row } from "./records";

/**
 * The read baselines' responses, built by hand from the rows the service's SQL returned: plain
 * objects with the fields the workloads select, the conversions the API makes (camelCase,
 * UPPER_CASE enums, ISO dates, numeric to an exact decimal string), and nothing else. Related objects are
 * functions, so that the selection (see `project`) builds only those asked for, as a
 * hand-written resolver would.
 */
export type ResponseBuilder = (records: RecordSet, variables: Record<string, unknown>) => unknown;

const absent = (value: unknown): value is null | undefined => value === null || value === undefined;
const iso = (value: unknown) => (absent(value) ? null : value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString());
const money = (value: unknown) => (absent(value) ? null : canonicalDecimal(String(value)));
const upper = (value: unknown) => (absent(value) ? null : String(value).toUpperCase());

function company(records: RecordSet, id: unknown) {
  const row = records.get("company", id);
  return row && { id: row.id, name: row.name };
}

function personFields(records: RecordSet, row: Row) {
  return {
    id: row.id,
    type: row.type,
    firstName: row.first_name,
    lastName: row.last_name,
    name: row.name,
    email: row.email,
    company: () => company(records, row.company_id),
  };
}

function person(records: RecordSet, id: unknown) {
  const row = records.get("person", id);
  if (!row) return null;
  return {
    ...personFields(records, row),
    referredBy: () => {
      const referrer = records.get("person", row.referred_by_id);
      return referrer && personFields(records, referrer);
    },
  };
}

function stage(records: RecordSet, id: unknown) {
  const row = records.get("stage", id);
  return (
    row && {
      id: row.id,
      key: row.key,
      label: row.label,
      color: row.color,
      description: row.description,
      sortOrder: row.sort_order,
      probability: row.probability,
    }
  );
}

function workspace(records: RecordSet, id: unknown) {
  const row = records.get("workspace", id);
  return row && { id: row.id, name: row.name };
}

function product(records: RecordSet, id: unknown) {
  const row = records.get("product", id);
  return row && { id: row.id, name: row.name };
}

function site(records: RecordSet, id: unknown) {
  const row = records.get("site", id);
  return row && { id: row.id, name: row.name, address: row.address };
}

/** The fields every deal has. */
function dealFields(records: RecordSet, deal: Row) {
  return {
    id: deal.id,
    pipelineDealId: deal.id,
    name: deal.name,
    description: deal.description,
    currency: deal.currency,
    stage: () => stage(records, deal.stage_id),
    owner: () => person(records, deal.owner_id),
    workspace: () => workspace(records, deal.workspace_id),
    visibilityMode: upper(deal.visibility_mode),
    createdAt: iso(deal.created_at),
    updatedAt: iso(deal.updated_at),
  };
}

const ROLE_ORDER = ["connector", "referral_source"];
const SIDE_ORDER = ["seeker", "provider"];

/** A deal's facilitators as the API lists them: the connector first, then referral sources, seeker's side first, then by id. */
function facilitatorsByDeal(records: RecordSet): Map<unknown, Row[]> {
  const byDeal = new Map<unknown, Row[]>();
  for (const row of records.all("pipeline_deal_facilitator")) {
    const list = byDeal.get(row.deal_id);
    if (list) list.push(row);
    else byDeal.set(row.deal_id, [row]);
  }
  for (const list of byDeal.values()) list.sort(byFacilitatorOrder);
  return byDeal;
}

function byFacilitatorOrder(a: Row, b: Row): number {
  const [idA, idB] = [String(a.id), String(b.id)];
  return (
    ROLE_ORDER.indexOf(String(a.role)) - ROLE_ORDER.indexOf(String(b.role)) ||
    SIDE_ORDER.indexOf(String(a.side)) - SIDE_ORDER.indexOf(String(b.side)) ||
    (idA < idB ? -1 : idA > idB ? 1 : 0)
  );
}

function referral(records: RecordSet, deal: Row, facilitators: Map<unknown, Row[]>) {
  return {
    ...dealFields(records, deal),
    expectedValue: money(deal.value),
    seeker: () => person(records, deal.seeker_id),
    provider: () => person(records, deal.provider_id),
    connector: () => person(records, deal.connector_id),
    product: () => product(records, deal.product_id),
    facilitators: () =>
      (facilitators.get(deal.id) ?? []).map((row) => ({
        id: row.id,
        userId: row.person_id,
        companyId: row.company_id,
        role: upper(row.role),
        side: upper(row.side),
        user: () => person(records, row.person_id),
        company: () => company(records, row.company_id),
      })),
  };
}

function opportunity(records: RecordSet, deal: Row) {
  return {
    ...dealFields(records, deal),
    title: deal.name,
    estimatedValue: money(deal.value),
    customerId: deal.customer_id,
    primaryContactId: deal.primary_contact_id,
    siteId: deal.site_id,
    ownerUserId: deal.owner_id,
    customer: () => company(records, deal.customer_id),
    primaryContact: () => person(records, deal.primary_contact_id),
    site: () => site(records, deal.site_id),
    pipelineType: upper(deal.pipeline_type),
    source: upper(deal.source),
    expectedCloseDate: iso(deal.expected_close_date),
    probability: deal.probability,
    solutionFamilies: deal.solution_families ?? [],
    scopeSummary: deal.scope_summary,
    competitorNotes: deal.competitor_notes,
    winLossReason: deal.win_loss_reason,
    nextStepDescription: deal.next_step_description,
    nextStepDate: iso(deal.next_step_date),
    bidDueDate: iso(deal.bid_due_date),
    budgetConfirmed: deal.budget_confirmed,
    priority: upper(deal.priority),
    lostReasonCategory: upper(deal.lost_reason_category),
    technicalRequirements: deal.technical_requirements,
  };
}

/** A cursor as src/core/pagination/connection.ts writes it: base64url of [sort name, sort value, id]. */
function cursor(sortName: string, value: unknown, id: unknown): string {
  return Buffer.from(JSON.stringify([sortName, value, id])).toString("base64url");
}

/** A Relay connection over the rows of the request's page query (it fetches first + 1 to know about a next page). */
function connection(records: RecordSet, table: string, first: number, node: (row: Row) => unknown) {
  const page = records.page(table);
  const edges = page.slice(0, first).map(({ row, cursorValue }) => ({ cursor: cursor("createdAt", cursorValue, row.id), node: () => node(row) }));
  return {
    totalCount: () => records.count(),
    edges,
    pageInfo: {
      hasNextPage: page.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

export const peopleResponse: ResponseBuilder = (records, variables) =>
  connection(records, "person", Number(variables.first), (row) => person(records, row.id));

export const referralListResponse: ResponseBuilder = (records, variables) => {
  const facilitators = facilitatorsByDeal(records);
  return connection(records, "pipeline_deal", Number(variables.first), (row) => referral(records, row, facilitators));
};

export const referralResponse: ResponseBuilder = (records, variables) => {
  const deal = records.get("pipeline_deal", variables.id);
  return deal && referral(records, deal, facilitatorsByDeal(records));
};

export const opportunityListResponse: ResponseBuilder = (records, variables) =>
  connection(records, "pipeline_deal", Number(variables.first), (row) => opportunity(records, row));
