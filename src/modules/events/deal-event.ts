import { registerEnumType } from "type-graphql";

/** What happened to a deal. The stored values are the names webhooks and subscriptions carry. */
export enum DealEventKind {
  DEAL_CREATED = "deal.created",
  DEAL_UPDATED = "deal.updated",
  DEAL_STAGE_CHANGED = "deal.stage_changed",
  DEAL_ARCHIVED = "deal.archived",
  DEAL_RESTORED = "deal.restored",
  DEAL_SHARED = "deal.shared",
  DEAL_UNSHARED = "deal.unshared",
}
registerEnumType(DealEventKind, {
  name: "DealEventKind",
  description: "What happened to a deal; webhooks carry the lower-case dotted name (deal.created, deal.stage_changed, …).",
  valuesConfig: {
    DEAL_CREATED: { description: "deal.created: a deal was created." },
    DEAL_UPDATED: { description: "deal.updated: fields of a deal changed (changedFields names them)." },
    DEAL_STAGE_CHANGED: { description: "deal.stage_changed: a deal moved to another stage (fromStage, toStage)." },
    DEAL_ARCHIVED: { description: "deal.archived: a deal was archived." },
    DEAL_RESTORED: { description: "deal.restored: an archived deal was restored." },
    DEAL_SHARED: { description: "deal.shared: a deal was shared with another workspace (workspaceId)." },
    DEAL_UNSHARED: { description: "deal.unshared: a deal stopped being shared with a workspace (workspaceId)." },
  },
});

export const DEAL_EVENT_KINDS = Object.values(DealEventKind);

/** A stage as events show it. */
export interface EventStage {
  id: string;
  key: string;
  label: string;
}

/**
 * An event as webhooks deliver it and subscriptions answer it: the deal as GraphQL shows it,
 * and what is particular to the kind (`changedFields`, `fromStage`/`toStage`, `workspaceId`).
 */
export interface DealEventMessage {
  id: string;
  type: DealEventKind;
  organizationId: string;
  dealId: string;
  occurredAt: string;
  actorId: string;
  data: {
    deal: Record<string, unknown>;
    changedFields?: string[];
    fromStage?: EventStage | null;
    toStage?: EventStage;
    workspaceId?: string;
  };
}

/** A deal_event row as the driver reads it. */
export interface DealEventRow {
  organization_id: string;
  id: string;
  position: string | number;
  deal_id: string;
  kind: DealEventKind;
  occurred_at: Date | string;
  actor_id: string;
  /** The deal row as `to_jsonb` wrote it (column names), with `stage` added. */
  deal: Record<string, unknown>;
  details: Record<string, unknown>;
}

const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(value as string).toISOString());
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
/** Every stored enum value is its GraphQL name in lower case (see deal.enums.ts, opportunity.enums.ts). */
const enumName = (value: unknown): string | null => (typeof value === "string" ? value.toUpperCase() : null);

/**
 * The deal of an event with the names and values the GraphQL types use: PipelineDeal's fields,
 * and those of ReferralOpportunity or Opportunity, ids for relations. `__typename` says which.
 */
export function dealAsGraphQL(row: Record<string, any>): Record<string, unknown> {
  const common = {
    id: row.id,
    pipelineDealId: row.id,
    name: row.name,
    description: row.description,
    currency: row.currency,
    visibilityMode: enumName(row.visibility_mode),
    version: row.version,
    stage: row.stage,
    ownerId: row.owner_id,
    workspaceId: row.workspace_id,
    stageEnteredAt: iso(row.stage_entered_at),
    closedAt: iso(row.closed_at),
    archivedAt: iso(row.archived_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  if (row.kind === "referral") {
    return {
      __typename: "ReferralOpportunity",
      ...common,
      expectedValue: num(row.value),
      seekerId: row.seeker_id,
      providerId: row.provider_id,
      connectorId: row.connector_id,
      productId: row.product_id,
    };
  }
  return {
    __typename: "Opportunity",
    ...common,
    title: row.name,
    estimatedValue: num(row.value),
    ownerUserId: row.owner_id,
    customerId: row.customer_id,
    primaryContactId: row.primary_contact_id,
    siteId: row.site_id,
    pipelineType: enumName(row.pipeline_type),
    source: enumName(row.source),
    expectedCloseDate: iso(row.expected_close_date),
    probability: row.probability,
    solutionFamilies: row.solution_families ?? [],
    scopeSummary: row.scope_summary,
    competitorNotes: row.competitor_notes,
    winLossReason: row.win_loss_reason,
    nextStepDescription: row.next_step_description,
    nextStepDate: iso(row.next_step_date),
    bidDueDate: iso(row.bid_due_date),
    budgetConfirmed: row.budget_confirmed,
    priority: enumName(row.priority),
    lostReasonCategory: enumName(row.lost_reason_category),
    technicalRequirements: row.technical_requirements,
  };
}

/** The message of a stored event (what a webhook POSTs as its body). */
export function eventMessage(row: DealEventRow): DealEventMessage {
  return {
    id: row.id,
    type: row.kind,
    organizationId: row.organization_id,
    dealId: row.deal_id,
    occurredAt: iso(row.occurred_at)!,
    actorId: row.actor_id,
    data: { deal: dealAsGraphQL(row.deal), ...row.details },
  };
}
