import { isUUID } from "class-validator";
import { ClassType } from "type-graphql";
import { SelectQueryBuilder } from "typeorm";
import { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { Context } from "../../core/context/context";
import { recordWrite } from "../../core/context/unit-of-work";
import { entityFromColumns, entityFromJson, entityFromRaw } from "../../core/db/hydrate";
import { selectWithExtras } from "../../core/db/with-extras";
import { primeRelated, relatedExtra } from "../../core/loaders/related";
import { DealEventKind } from "../events/deal-event";
import { changedFieldNames, PlannedEvent, RECORDED_EVENTS, recordEventsSql, stageJson } from "../events/deal-event.outbox";
import { Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { ANY_DEAL_RELATIONS } from "./deal.relations";
import { Facilitator, byFacilitatorOrder } from "./facilitator.entity";
import { PipelineDeal } from "./pipeline-deal.entity";
import { whereVisibleTo } from "./visibility";

/**
 * The deal writes. Each is ONE statement (a data-modifying CTE, atomic without a transaction)
 * and keeps the unit of work's loaders true to what it wrote, so the request's loaders hold the
 * stored state afterwards (see unit-of-work.ts): commands never prime or clear a loader
 * themselves. Every write that changes a deal's stage writes its history entry in the same
 * statement, a write that plans facilitators writes them in it too, and every write that
 * changes a deal records its events in the outbox in the same statement
 * (deal-event.outbox.ts), and tells the unit of work which.
 *
 * A write to an existing deal is guarded by the version the command read (readVisibleDeal):
 * when another write came between, nothing is written and it throws DealChangedError, for the
 * command to read again and decide again (deal-command.ts).
 */

type DealValues<T extends PipelineDeal> = QueryDeepPartialEntity<T> & { idempotencyKey: string | null };


/** Columns a write may set; `version`, `updatedAt` and the history are the repository's. */
export type DealChanges = Partial<Record<string, unknown>>;

/** Parameters after `given`: `param(value)` adds one and answers its placeholder. */
function parameterList(given: unknown[]): { parameters: unknown[]; param: (value: unknown) => string } {
  const parameters = [...given];
  return { parameters, param: (value) => `$${parameters.push(value)}` };
}

/** The stage-history entry of the deal row(s) in CTE `deal`; `$by` is the acting user. */
const HISTORY_FROM = (fromStage: string, by: string) => `
  history AS (
    INSERT INTO deal_stage_change (organization_id, deal_id, from_stage_id, to_stage_id, changed_at, changed_by_id)
    SELECT organization_id, id, ${fromStage}, stage_id, stage_entered_at, ${by} FROM deal
  )`;

/** A guarded write found the deal at another version than the command read: nothing was written. */
export class DealChangedError extends Error {
  constructor(readonly dealId: string) {
    super(`Deal ${dealId} changed between its read and its write.`);
  }
}

/** What readVisibleDeal answers: the deal with its stage, what the write names, and the raw rows for `also`. */
export interface VisibleDeal {
  deal: PipelineDeal;
  stage: Stage;
  target: { workspace: Workspace | null; stage: Stage | null };
  /** The statement's query builder and rows, to read what `also` joined on (entityFromRaw). */
  qb: SelectQueryBuilder<PipelineDeal>;
  rows: Array<Record<string, unknown>>;
}

/**
 * The deal, when the viewer can see it, with its stage, workspace and relations (primed into
 * the loaders), in one statement that also reads what the write names (a share's workspace, a
 * move's stage) and whatever `also`
 * joins on (the rows a command checks: people, a product, references): alias `deal`, and a join
 * may use its columns. A to-many join gives one row per match, the deal in each. Not locked: the
 * write checks the version read here (updateDeal, writeShare). Null when the deal does not
 * exist for the viewer.
 */
export async function readVisibleDeal(
  tx: Context,
  id: string,
  {
    workspaceId,
    stageId,
    also,
  }: { workspaceId?: string; stageId?: string; also?: (qb: SelectQueryBuilder<PipelineDeal>) => void } = {},
): Promise<VisibleDeal | null> {
  if (!isUUID(id)) return null;
  const qb = tx.db
    .getRepository(PipelineDeal)
    .createQueryBuilder("deal")
    .innerJoinAndMapOne("deal.stage", Stage, "stage", "stage.organization_id = deal.organization_id AND stage.id = deal.stage_id")
    // The deal's own workspace too, which the answer usually shows: to-one, so it costs no statement.
    .innerJoinAndMapOne("deal.workspace", Workspace, "workspace", "workspace.organization_id = deal.organization_id AND workspace.id = deal.workspace_id")
    .where("deal.id = :id", { id: id.toLowerCase() });
  const targetWorkspace = workspaceId && isUUID(workspaceId) ? workspaceId.toLowerCase() : null;
  const targetStage = stageId && isUUID(stageId) ? stageId.toLowerCase() : null;
  if (targetWorkspace) {
    qb.leftJoinAndMapOne(
      "deal.targetWorkspace",
      Workspace,
      "target_workspace",
      "target_workspace.organization_id = deal.organization_id AND target_workspace.id = :targetWorkspace",
      { targetWorkspace },
    );
  }
  if (targetStage) qb.leftJoinAndMapOne("deal.targetStage", Stage, "target_stage", "target_stage.organization_id = deal.organization_id AND target_stage.id = :targetStage AND target_stage.deleted_at IS NULL", {
      targetStage,
    });
  also?.(qb);
  // The deal's relations (its people with their employers, product, customer, site and
  // facilitators) prime the loaders, so that the command's answer reads none of them; what the
  // write changes a reference to, the command's checks read (`also`).
  const found = await selectWithExtras(tx.db, whereVisibleTo(qb, "deal", tx.viewer), [relatedExtra(tx.db.connection, ANY_DEAL_RELATIONS, "deal")], {
    prepare: true,
  });
  const { rows } = found;
  if (rows.length === 0) return null;
  const [row] = rows;
  const deal = entityFromRaw<PipelineDeal>(qb, row)!;
  const stage = entityFromRaw<Stage>(qb, row, "stage")!;
  const target = {
    workspace: targetWorkspace ? entityFromRaw<Workspace>(qb, row, "target_workspace") : null,
    stage: targetStage ? entityFromRaw<Stage>(qb, row, "target_stage") : null,
  };
  tx.loaders.deal.set(deal.id, deal);
  primeRelated(tx.loaders, tx.db.connection, found.extras.related, [deal.id]);
  for (const known of [stage, target.stage]) if (known) tx.loaders.stage.prime(known.id, known);
  for (const known of [entityFromRaw<Workspace>(qb, row, "workspace"), target.workspace]) {
    if (known) tx.loaders.workspace.prime(known.id, known);
  }
  return { deal, stage, target, qb, rows };
}

/** A facilitator the rules planned, before it is stored. */
export type PlannedFacilitator = Pick<Facilitator, "personId" | "companyId" | "role" | "side">;

/** The planned facilitators as a CTE `planned`, from four array parameters. */
function plannedSql(planned: PlannedFacilitator[], param: (value: unknown) => string): string {
  return `
  planned AS (
    SELECT * FROM unnest(${param(planned.map((f) => f.personId))}::uuid[], ${param(planned.map((f) => f.companyId))}::uuid[],
                         ${param(planned.map((f) => f.role))}::text[], ${param(planned.map((f) => f.side))}::text[])
                  AS p(person_id, company_id, role, side)
  )`;
}

/** The column of a write's main SELECT that lists the facilitators CTE `facilitators` wrote. */
const WRITTEN_FACILITATORS = `(SELECT json_agg(facilitators) FROM facilitators) AS written_facilitators`;

/** The facilitators a write returned (WRITTEN_FACILITATORS), in their order, held by the loader. */
function heldFacilitators(tx: Context, dealId: string, written: unknown): Facilitator[] {
  const metadata = tx.db.connection.getMetadata(Facilitator);
  const facilitators = ((written as Array<Record<string, unknown>> | null) ?? [])
    .map((row) => entityFromJson<Facilitator>(metadata, row))
    .sort(byFacilitatorOrder);
  tx.loaders.facilitatorsByDeal.set(dealId, facilitators);
  return facilitators;
}

/**
 * Inserts a new deal with its first history entry, its facilitators and its event, in one
 * statement. With an idempotency key the insert yields to a deal an earlier request made under
 * the same key (the unique index decides, even between requests that race): then it writes
 * nothing (every other part of the statement depends on the inserted row) and answers null
 * (see createDeal).
 */
export async function insertDeal<T extends PipelineDeal>(
  tx: Context,
  kind: ClassType<T>,
  values: DealValues<T>,
  facilitators: PlannedFacilitator[] = [],
): Promise<T | null> {
  const insert = tx.db.createQueryBuilder().insert().into(kind).values(values).returning("*").updateEntity(false);
  if (values.idempotencyKey) insert.orIgnore();
  const [sql, given] = insert.getQueryAndParameters();
  const { parameters, param } = parameterList(given);
  const by = `${param(tx.viewer.userId)}::uuid`;
  const withFacilitators = facilitators.length > 0;
  const facilitatorSql = withFacilitators
    ? `, ${plannedSql(facilitators, param)}, facilitators AS (
         INSERT INTO pipeline_deal_facilitator (organization_id, deal_id, person_id, company_id, role, side)
         SELECT deal.organization_id, deal.id, planned.person_id, planned.company_id, planned.role, planned.side FROM deal CROSS JOIN planned
         RETURNING *
       )`
    : "";
  const rows: Array<Record<string, unknown>> = await tx.db.query(
    `WITH deal AS (${sql}), ${HISTORY_FROM("NULL::uuid", by)}, ${recordEventsSql([{ kind: DealEventKind.DEAL_CREATED }], by, param)}${facilitatorSql}
     SELECT deal.*, ${RECORDED_EVENTS}${withFacilitators ? `, ${WRITTEN_FACILITATORS}` : ""} FROM deal`,
    parameters,
  );
  if (rows.length === 0) return null;
  recordWrite(tx, rows[0].recorded_events as never);
  const deal = entityFromColumns<T>(tx.db.connection.getMetadata(kind), rows[0]);
  tx.loaders.deal.set(deal.id, deal);
  tx.loaders.sharedWorkspacesByDeal.set(deal.id, []);
  tx.loaders.stageHistoryByDeal.forget(deal.id);
  heldFacilitators(tx, deal.id, rows[0].written_facilitators ?? null);
  return deal;
}

/** Columns whose change is an event of its own kind, not a deal.updated field. */
const NOT_UPDATED_FIELDS = new Set(["stageId", "closedAt", "archivedAt", "archivedById"]);

/**
 * Writes `changes` to a deal as the command read it, one version more; when the stage changes,
 * the history entry too (the deal enters the new stage now, leaving the stage it was read in);
 * with `facilitators`, makes them the deal's: those no longer planned go, new ones come, and one
 * who stays on the same side keeps their row (and the employer it recorded), taking the planned
 * role. One statement, written only while the deal is still at the version read (every part
 * depends on the updated row): otherwise nothing is written and it throws DealChangedError.
 * Returns the deal as stored.
 *
 * Its events: deal.updated naming the changed fields (by their GraphQL names), then
 * deal.stage_changed when the stage changes, deal.archived or deal.restored when the archive
 * does. A `move` (moveDeal) changes the fields that follow the stage (close, an opportunity's
 * probability and outcome) as part of the move: it is one deal.stage_changed only.
 */
export async function updateDeal<T extends PipelineDeal>(
  tx: Context,
  deal: T,
  changes: DealChanges,
  { move = false, facilitators }: { move?: boolean; facilitators?: PlannedFacilitator[] } = {},
): Promise<T> {
  const kind = deal.constructor as ClassType<T>;
  const moved = changes.stageId !== undefined && changes.stageId !== deal.stageId;
  const update = tx.db
    .createQueryBuilder()
    .update(kind)
    .set({
      ...changes,
      ...(moved ? { stageEnteredAt: () => "now()" } : {}),
      version: () => "version + 1",
      updatedAt: () => "now()",
    } as QueryDeepPartialEntity<T>)
    .where("organization_id = :organizationId AND id = :id AND version = :readVersion", {
      organizationId: deal.organizationId,
      id: deal.id,
      readVersion: deal.version,
    })
    .returning("*")
    .updateEntity(false);
  const [sql, given] = update.getQueryAndParameters();
  const { parameters, param } = parameterList(given);
  const by = `${param(tx.viewer.userId)}::uuid`;
  const events: PlannedEvent[] = [];
  const updatedFields = move ? [] : Object.keys(changes).filter((column) => !NOT_UPDATED_FIELDS.has(column));
  if (updatedFields.length > 0) {
    const names = changedFieldNames(deal.kind, updatedFields);
    events.push({ kind: DealEventKind.DEAL_UPDATED, details: `jsonb_build_object('changedFields', ${param(JSON.stringify(names))}::jsonb)` });
  }
  let parts = "";
  if (moved) {
    // The version guard makes the stage read here the one the deal really leaves.
    const from = `${param(deal.stageId)}::uuid`;
    parts += `, ${HISTORY_FROM(from, by)}`;
    events.push({
      kind: DealEventKind.DEAL_STAGE_CHANGED,
      details: `jsonb_build_object('fromStage', ${stageJson(from)}, 'toStage', ${stageJson("deal.stage_id")})`,
    });
  }
  if (changes.archivedAt !== undefined) {
    events.push({ kind: changes.archivedAt === null ? DealEventKind.DEAL_RESTORED : DealEventKind.DEAL_ARCHIVED });
  }
  if (events.length > 0) parts += `, ${recordEventsSql(events, by, param)}`;
  if (facilitators) {
    // The DELETE and the INSERT touch different rows (a kept one conflicts, a gone one is not
    // planned), as two parts of one statement must.
    parts += `, ${plannedSql(facilitators, param)}, gone AS (
       DELETE FROM pipeline_deal_facilitator f USING deal
        WHERE f.organization_id = deal.organization_id AND f.deal_id = deal.id
          AND NOT EXISTS (SELECT 1 FROM planned p WHERE p.side = f.side AND p.person_id = f.person_id)
     ), facilitators AS (
       INSERT INTO pipeline_deal_facilitator (organization_id, deal_id, person_id, company_id, role, side)
       SELECT deal.organization_id, deal.id, planned.person_id, planned.company_id, planned.role, planned.side FROM deal CROSS JOIN planned
       ON CONFLICT ON CONSTRAINT pipeline_deal_facilitator_once_per_side DO UPDATE SET role = EXCLUDED.role
       RETURNING *
     )`;
  }
  const rows: Array<Record<string, unknown>> = await tx.db.query(
    `WITH deal AS (${sql})${parts}
     SELECT deal.*${events.length > 0 ? `, ${RECORDED_EVENTS}` : ""}${facilitators ? `, ${WRITTEN_FACILITATORS}` : ""} FROM deal`,
    parameters,
  );
  if (rows.length === 0) throw new DealChangedError(deal.id);
  recordWrite(tx, rows[0].recorded_events as never);
  const updated = entityFromColumns<T>(tx.db.connection.getMetadata(kind), rows[0]);
  tx.loaders.deal.set(updated.id, updated);
  if (moved) tx.loaders.stageHistoryByDeal.forget(updated.id);
  if (facilitators) heldFacilitators(tx, updated.id, rows[0].written_facilitators);
  return updated;
}

/**
 * Adds or removes one share of a deal as the command read it; `visibilityMode` is the deal's mode
 * afterwards. One statement takes the deal while it is still at the version read (otherwise it
 * writes nothing and throws DealChangedError), writes the share, the deal (one version more, only
 * when anything changed) and reads the deal's shares as they now are. Answers the deal as stored.
 */
export async function writeShare<T extends PipelineDeal>(
  tx: Context,
  deal: T,
  workspaceId: string,
  { shared, visibilityMode }: { shared: boolean; visibilityMode: string },
): Promise<T> {
  // `as_read` locks the row for this statement only, and (in READ COMMITTED) checks the version
  // on the newest row: a write committed since the statement's snapshot moved the version, so
  // when `as_read` has the deal, the snapshot holds every share written before.
  const share = shared
    ? `INSERT INTO pipeline_deal_share (organization_id, deal_id, workspace_id) SELECT $1, $2, $3 FROM as_read
       ON CONFLICT DO NOTHING RETURNING 1`
    : `DELETE FROM pipeline_deal_share WHERE organization_id = $1 AND deal_id = $2 AND workspace_id = $3
          AND EXISTS (SELECT 1 FROM as_read) RETURNING 1`;
  // The statement's snapshot does not see its own share write: the shares after it are the
  // others as they were, plus the target when sharing.
  // The deal is written only when anything changed: then (and only then) its event is recorded.
  const { parameters, param } = parameterList([deal.organizationId, deal.id, workspaceId, visibilityMode, shared, deal.version]);
  const events = recordEventsSql(
    [{ kind: shared ? DealEventKind.DEAL_SHARED : DealEventKind.DEAL_UNSHARED, details: `jsonb_build_object('workspaceId', $3::uuid)` }],
    `${param(tx.viewer.userId)}::uuid`,
    param,
  );
  const rows: Array<Record<string, unknown>> = await tx.db.query(
    `WITH as_read AS (
       SELECT id, visibility_mode FROM pipeline_deal WHERE organization_id = $1 AND id = $2 AND version = $6 FOR UPDATE
     ), share AS (${share}), deal AS (
       UPDATE pipeline_deal SET visibility_mode = $4, version = version + 1, updated_at = now()
        WHERE organization_id = $1 AND id IN (SELECT id FROM as_read) AND (EXISTS (SELECT 1 FROM share) OR visibility_mode <> $4)
       RETURNING *
     ), ${events}, shared AS (
       SELECT workspace.* FROM workspace
        WHERE workspace.organization_id = $1
          AND (workspace.id IN (SELECT workspace_id FROM pipeline_deal_share WHERE organization_id = $1 AND deal_id = $2 AND workspace_id <> $3)
               OR ($5 AND workspace.id = $3))
     )
     SELECT as_read.id AS read_id, deal.version AS deal_version, deal.updated_at AS deal_updated_at,
            deal.visibility_mode AS deal_visibility_mode, ${RECORDED_EVENTS}, shared.*
       FROM (SELECT 1) AS one LEFT JOIN as_read ON true LEFT JOIN deal ON true LEFT JOIN shared ON true
      ORDER BY shared.name, shared.id`,
    parameters,
  );
  if (rows[0].read_id === null) throw new DealChangedError(deal.id);
  recordWrite(tx, rows[0].recorded_events as never);
  const metadata = tx.db.connection.getMetadata(Workspace);
  const workspaces = rows.filter((row) => row.id !== null).map((row) => entityFromColumns<Workspace>(metadata, row));
  for (const workspace of workspaces) tx.loaders.workspace.prime(workspace.id, workspace);
  tx.loaders.sharedWorkspacesByDeal.set(deal.id, workspaces);
  if (rows[0].deal_version === null) return deal;
  const updated = Object.assign(Object.create(Object.getPrototypeOf(deal)) as T, deal, {
    version: rows[0].deal_version,
    updatedAt: rows[0].deal_updated_at,
    visibilityMode: rows[0].deal_visibility_mode,
  });
  tx.loaders.deal.set(updated.id, updated);
  return updated;
}

/**
 * Moves every deal in stage `from` (archived ones too, whoever can see them) to stage `to`, in
 * one statement: each one version more, entering `to` now, with `changes` (the close the move
 * makes), its history entry and its deal.stage_changed event. For deleting a stage
 * (stage.commands.ts). Answers how many deals moved.
 */
export async function moveStageDeals(tx: Context, from: Stage, to: Stage, changes: DealChanges): Promise<number> {
  const update = tx.db
    .createQueryBuilder()
    .update(PipelineDeal)
    .set({ ...changes, stageId: to.id, stageEnteredAt: () => "now()", version: () => "version + 1", updatedAt: () => "now()" } as QueryDeepPartialEntity<PipelineDeal>)
    .where("organization_id = :organizationId AND stage_id = :from", { organizationId: from.organizationId, from: from.id })
    .returning("*")
    .updateEntity(false);
  const [sql, given] = update.getQueryAndParameters();
  const { parameters, param } = parameterList(given);
  const by = `${param(tx.viewer.userId)}::uuid`;
  const fromStage = `${param(from.id)}::uuid`;
  const events = recordEventsSql(
    [{ kind: DealEventKind.DEAL_STAGE_CHANGED, details: `jsonb_build_object('fromStage', ${stageJson(fromStage)}, 'toStage', ${stageJson("deal.stage_id")})` }],
    by,
    param,
  );
  const rows: Array<Record<string, unknown>> = await tx.db.query(
    `WITH deal AS (${sql}), ${HISTORY_FROM(fromStage, by)}, ${events}
     SELECT deal.id, ${RECORDED_EVENTS} FROM deal`,
    parameters,
  );
  recordWrite(tx, rows[0]?.recorded_events as never);
  for (const { id } of rows) {
    tx.loaders.deal.forget(id as string);
    tx.loaders.stageHistoryByDeal.forget(id as string);
  }
  return rows.length;
}
