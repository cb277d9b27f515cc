import { randomUUID } from "node:crypto";
import type { Context } from "../../core/context/context";
import { inUnitOfWork } from "../../core/context/unit-of-work";
import { entityFromColumns } from "../../core/db/hydrate";
import { parseInput } from "../../core/commands/parse-input";
import { ForbiddenError, NotFoundError } from "../../core/errors/errors";
import { moveStageDeals } from "../deal/deal.repository";
import { closeChanges } from "../deal/deal.commands";
import { Pipeline, Stage } from "./stage.entity";
import { CreateStageArgs, DeleteStageArgs, ReorderStagesArgs, UpdateStageArgs } from "./stage.inputs";

const FIXED_SALES =
  "The SALES pipeline's stages are the opportunity stages: their labels, colours, descriptions and probabilities can change (updateStage), but they cannot be added to, reordered or deleted.";

const DEFAULT_COLOR = "#64748B";

const isOpen = (stage: Stage) => !stage.isWon && !stage.isLost;

/**
 * Shaping an organization's pipelines; only its admins may. Every command locks the pipeline's
 * stages first (FOR UPDATE), so two admins shaping one pipeline take turns and each sees the
 * other's result; the pipeline's invariants (exactly one won and one lost stage, at least one
 * open stage) are checked here with a clear error, and again by the database at commit.
 */
export const stageCommands = {
  async create(ctx: Context, plain: unknown): Promise<Stage> {
    assertAdmin(ctx);
    const { input, problems } = await parseInput(CreateStageArgs, plain, "");
    if (input.pipeline === Pipeline.SALES) problems.replace("pipeline", FIXED_SALES, "fixedPipeline");
    problems.throwIfAny();
    return inUnitOfWork(ctx, async (tx) => {
      const stages = await lockPipeline(tx, { pipeline: input.pipeline });
      const live = stages.filter((stage) => !stage.deletedAt);
      const taken = new Set(stages.map((stage) => stage.key));
      let key = input.key ?? null;
      if (key && taken.has(key)) problems.add("key", `key ${key} is already a stage of the ${input.pipeline.toUpperCase()} pipeline`, "isUnique");
      key ??= freeKey(keyFromLabel(input.label), taken);
      const position = input.position ?? lastOpenIndex(live) + 2;
      if (position > live.length + 1) problems.add("position", `position must be at most ${live.length + 1}, one more than the pipeline's stages`, "max");
      problems.throwIfAny();

      const id = randomUUID();
      const order = live.map((stage) => stage.id);
      order.splice(position - 1, 0, id);
      const [row] = await tx.db.query(
        `WITH renumbered AS (${RENUMBER})
         INSERT INTO stage (organization_id, id, pipeline, key, label, color, description, sort_order, probability)
         VALUES ($1, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [tx.viewer.organizationId, order, id, input.pipeline, key, input.label.trim(), (input.color ?? DEFAULT_COLOR).toUpperCase(), input.description?.trim() || null, position, input.probability],
      );
      return known(tx, row);
    });
  },

  async update(ctx: Context, plain: unknown): Promise<Stage> {
    assertAdmin(ctx);
    const { input, problems } = await parseInput(UpdateStageArgs, plain, "");
    problems.throwIfAny();
    return inUnitOfWork(ctx, async (tx) => {
      const [row] = await tx.db.query(
        `WITH updated AS (
           UPDATE stage SET label = COALESCE($3, label), color = COALESCE($4, color),
                  description = CASE WHEN $5 THEN $6 ELSE description END, probability = COALESCE($7, probability)
            WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *)
         SELECT * FROM updated`,
        [
          tx.viewer.organizationId,
          input.id.toLowerCase(),
          input.label?.trim() ?? null,
          input.color?.toUpperCase() ?? null,
          input.description !== undefined,
          input.description?.trim() || null,
          input.probability ?? null,
        ],
      );
      if (!row) throw new NotFoundError("Stage", input.id);
      return known(tx, row);
    });
  },

  async reorder(ctx: Context, plain: unknown): Promise<Stage[]> {
    assertAdmin(ctx);
    const { input, problems } = await parseInput(ReorderStagesArgs, plain, "");
    if (input.pipeline === Pipeline.SALES) problems.replace("pipeline", FIXED_SALES, "fixedPipeline");
    problems.throwIfAny();
    return inUnitOfWork(ctx, async (tx) => {
      const live = (await lockPipeline(tx, { pipeline: input.pipeline })).filter((stage) => !stage.deletedAt);
      const order = input.stageIds.map((id) => id.toLowerCase());
      const unknown = order.filter((id) => !live.some((stage) => stage.id === id));
      const missing = live.filter((stage) => !order.includes(stage.id));
      if (unknown.length > 0) problems.add("stageIds", `stageIds names ${unknown.join(", ")}, not a live stage of the ${input.pipeline.toUpperCase()} pipeline`, "isStage");
      if (missing.length > 0) {
        problems.add("stageIds", `stageIds must name every live stage of the pipeline; missing: ${missing.map((s) => `${s.label} (${s.id})`).join(", ")}`, "allStages");
      }
      problems.throwIfAny();
      await tx.db.query(`WITH renumbered AS (${RENUMBER} RETURNING stage.id) SELECT count(*) FROM renumbered`, [tx.viewer.organizationId, order]);
      return order.map((id, n) => {
        const stage = Object.assign(live.find((candidate) => candidate.id === id)!, { sortOrder: n + 1 });
        tx.loaders.stage.set(stage.id, stage);
        return stage;
      });
    });
  },

  /**
   * Deletes an open stage of the REFERRAL pipeline, moving its deals (every one, archived too,
   * visible to the admin or not) to `moveDealsTo` first, each move in the deal's history with its
   * deal.stage_changed event. The stage stays as a row, marked deleted, for the history that
   * names it.
   */
  async remove(ctx: Context, plain: unknown): Promise<{ stage: Stage; movedDeals: number }> {
    assertAdmin(ctx);
    const { input, problems } = await parseInput(DeleteStageArgs, plain, "");
    problems.throwIfAny();
    return inUnitOfWork(ctx, async (tx) => {
      const id = input.id.toLowerCase();
      const live = (await lockPipeline(tx, { stageId: id })).filter((stage) => !stage.deletedAt);
      const stage = live.find((candidate) => candidate.id === id);
      if (!stage) throw new NotFoundError("Stage", input.id);
      if (stage.pipeline === Pipeline.SALES) problems.add("id", FIXED_SALES, "fixedPipeline");
      else if (!isOpen(stage)) problems.add("id", "A pipeline keeps exactly one won and one lost stage: those cannot be deleted.", "keepsClosingStages");
      else if (live.filter(isOpen).length === 1) problems.add("id", "A pipeline keeps at least one open stage: add another before deleting this one.", "keepsOpenStage");
      const target = input.moveDealsTo ? live.find((candidate) => candidate.id === input.moveDealsTo!.toLowerCase()) : undefined;
      if (input.moveDealsTo && (!target || target.id === id)) {
        problems.add("moveDealsTo", `moveDealsTo must be another live stage of the ${stage.pipeline.toUpperCase()} pipeline`, "isStage");
      }
      problems.throwIfAny();

      const [{ deals }] = await tx.db.query(`SELECT count(*)::int AS deals FROM pipeline_deal WHERE organization_id = $1 AND stage_id = $2`, [
        tx.viewer.organizationId,
        id,
      ]);
      if (deals > 0 && !target) {
        problems.add("moveDealsTo", `The stage holds ${deals} deal${deals === 1 ? "" : "s"}: name the stage they move to (moveDealsTo).`, "isDefined");
        problems.throwIfAny();
      }
      const movedDeals = target && deals > 0 ? await moveStageDeals(tx, stage, target, closeChanges(stage, target)) : 0;
      const order = live.filter((candidate) => candidate.id !== id).map((candidate) => candidate.id);
      const [row] = await tx.db.query(
        `WITH renumbered AS (${RENUMBER}), deleted AS (
           UPDATE stage SET deleted_at = now() WHERE organization_id = $1 AND id = $3 RETURNING *)
         SELECT * FROM deleted`,
        [tx.viewer.organizationId, order, id],
      );
      return { stage: known(tx, row), movedDeals };
    });
  },
};

/** Gives the stages $2 (ids, in order) the positions 1, 2, … ($1: the organization). */
const RENUMBER = `
  UPDATE stage SET sort_order = o.n
    FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, n)
   WHERE stage.organization_id = $1 AND stage.id = o.id AND stage.sort_order IS DISTINCT FROM o.n`;

function assertAdmin({ viewer }: Context): void {
  if (!viewer.isAdmin) throw new ForbiddenError("Only an organization admin can shape pipelines.");
}

/** Every stage of a pipeline, deleted ones too, in order, locked until the unit of work ends. */
async function lockPipeline(tx: Context, of: { pipeline: Pipeline } | { stageId: string }): Promise<Stage[]> {
  const pipeline = "pipeline" in of ? "$2::text" : "(SELECT pipeline FROM stage WHERE organization_id = $1 AND id = $2::uuid)";
  const rows: Array<Record<string, unknown>> = await tx.db.query(
    `SELECT * FROM stage WHERE organization_id = $1 AND pipeline = ${pipeline} ORDER BY sort_order, id FOR UPDATE`,
    [tx.viewer.organizationId, "pipeline" in of ? of.pipeline : of.stageId],
  );
  return rows.map((row) => entityFromColumns<Stage>(tx.db.connection.getMetadata(Stage), row));
}

/** The stage as written, known to the unit of work's loader. */
function known(tx: Context, row: Record<string, unknown>): Stage {
  const stage = entityFromColumns<Stage>(tx.db.connection.getMetadata(Stage), row);
  tx.loaders.stage.set(stage.id, stage);
  return stage;
}

/** Where "after the last open stage" is: the index of the last open live stage (-1 when none). */
function lastOpenIndex(live: Stage[]): number {
  for (let i = live.length - 1; i >= 0; i--) if (isOpen(live[i])) return i;
  return -1;
}

/** A key from a label: "Proposal sent!" is proposal_sent, "Über-Call" is uber_call, "2nd call" is stage_2nd_call. */
export function keyFromLabel(label: string): string {
  const words = label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const key = /^[a-z]/.test(words) ? words : `stage_${words}`.replace(/_+$/, "");
  return key.slice(0, 40).replace(/_+$/, "");
}

/** `key`, or `key_2`, `key_3`, … when taken (within the 40 characters a key has). */
export function freeKey(key: string, taken: ReadonlySet<string>): string {
  if (!taken.has(key)) return key;
  for (let n = 2; ; n++) {
    const candidate = `${key.slice(0, 40 - String(n).length - 1)}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
