import { DealEventKind } from "./deal-event";

/** The channel every replica LISTENs on; the payload names the event (see deal-event.listener.ts). */
export const DEAL_EVENT_CHANNEL = "dealgraph_deal_events";

/** An event a deal write records: its kind, and a jsonb SQL expression (over CTE `deal`) for its details. */
export interface PlannedEvent {
  kind: DealEventKind;
  details?: string;
}

/** A stage as events show it, from a stage id SQL expression; the stage of the deal row in scope as `deal`'s organization. */
export const stageJson = (id: string) =>
  `(SELECT jsonb_build_object('id', s.id, 'key', s.key, 'label', s.label) FROM stage s WHERE s.organization_id = deal.organization_id AND s.id = ${id})`;

/**
 * The CTEs that record `events` for each deal row in CTE `deal`, to be appended to the write's
 * own WITH: the outbox rows (the deal as `to_jsonb` gives the row just written, with its stage),
 * a NOTIFY for each (sent by PostgreSQL at COMMIT, never for a rollback), and a pending delivery
 * for every enabled webhook endpoint of the organization that wants the kind. One statement
 * with the write, so the statement budgets stay as they were and an event exists exactly when
 * its write committed.
 *
 * `param` adds a parameter and answers its placeholder. The write's main SELECT reads
 * RECORDED_EVENTS to tell the unit of work what it recorded.
 */
export function recordEventsSql(events: PlannedEvent[], actor: string, param: (value: unknown) => string): string {
  const planned = events
    .map((event, n) => `(${n}, ${param(event.kind)}::text, ${event.details ?? "'{}'::jsonb"})`)
    .join(", ");
  return `
  event AS (
    INSERT INTO deal_event (organization_id, deal_id, kind, actor_id, deal, details)
    SELECT deal.organization_id, deal.id, planned.kind, ${actor},
           to_jsonb(deal) || jsonb_build_object('stage', ${stageJson("deal.stage_id")}), planned.details
      FROM deal CROSS JOIN LATERAL (VALUES ${planned}) AS planned(n, kind, details)
     ORDER BY deal.id, planned.n
    RETURNING organization_id, id, deal_id, kind, position,
              pg_notify('${DEAL_EVENT_CHANNEL}', json_build_object('organizationId', organization_id, 'id', id, 'dealId', deal_id)::text) IS NULL AS notified
  ), delivery AS (
    INSERT INTO webhook_delivery (organization_id, endpoint_id, event_id, event_kind, deal_id, event_position)
    SELECT event.organization_id, endpoint.id, event.id, event.kind, event.deal_id, event.position
      FROM event
      JOIN webhook_endpoint endpoint
        ON endpoint.organization_id = event.organization_id AND endpoint.enabled AND event.kind = ANY(endpoint.events)
    RETURNING event_id
  )`;
}

/** The column of the write's main SELECT that lists the events recorded, each with the deliveries it queued (for recordWrite). */
export const RECORDED_EVENTS = `(SELECT json_agg(json_build_object('id', id, 'organizationId', organization_id, 'dealId', deal_id,
    'kind', kind, 'position', position, 'notified', notified,
    'deliveries', (SELECT count(*) FROM delivery WHERE delivery.event_id = event.id)) ORDER BY position) FROM event) AS recorded_events`;

/**
 * GraphQL names of changed deal columns: the amount is expectedValue on a referral and
 * estimatedValue on an opportunity, whose name is its title and owner its ownerUserId.
 */
export function changedFieldNames(kind: string, columns: string[]): string[] {
  const renamed: Record<string, string> =
    kind === "referral" ? { value: "expectedValue" } : { value: "estimatedValue", name: "title", ownerId: "ownerUserId" };
  return columns.map((column) => renamed[column] ?? column).sort();
}
