import { parseInput } from "../../core/commands/parse-input";
import type { Context } from "../../core/context/context";
import { InputError, NotFoundError } from "../../core/errors/errors";
import { Opportunity } from "../opportunity/opportunity.entity";
import { outcomeAfterMove } from "../opportunity/opportunity.rules";
import { Stage } from "../stage/stage.entity";
import { VisibilityMode } from "./deal.enums";
import { DealWriteArgs, MoveDealArgs, RestoreDealArgs, ShareDealArgs } from "./deal.inputs";
import { runDealCommand } from "./deal-command";
import { DealChanges, readVisibleDeal, updateDeal, writeShare } from "./deal.repository";
import { assertMayChange, assertWritable, closeTransition, pipelineOf } from "./deal.rules";
import { PipelineDeal } from "./pipeline-deal.entity";

/**
 * The writes every kind of deal takes: moves, archive and restore, sharing. Each takes the plain
 * arguments, reads the deal with what it names in one statement, writes in one more (guarded by
 * the version read, see deal-command.ts), and answers the deal as stored.
 */
export const dealCommands = {
  /**
   * Moves a deal to another stage of its pipeline: one history entry, closed when the stage is
   * won or lost, reopened when it leaves them. An opportunity's probability follows the stage
   * and the outcome fields the new stage no longer allows are cleared. The current stage again
   * writes nothing.
   */
  async move(ctx: Context, plain: unknown, only?: OnlyKind): Promise<PipelineDeal> {
    const { input, problems } = await parseInput(MoveDealArgs, plain, "");
    problems.throwIfAny();
    return runDealCommand(ctx, async (tx) => {
      const { deal, stage: from, target } = await readWritable(tx, input.id, input.expectedVersion, { stageId: input.stageId, only });
      const to = target.stage;
      if (!to) throw new InputError([{ path: "stageId", message: "no stage with this id exists", constraint: "exists" }]);
      if (to.pipeline !== pipelineOf(deal)) {
        throw new InputError([
          {
            path: "stageId",
            message: `the stage belongs to the ${to.pipeline.toUpperCase()} pipeline, not to this deal's ${pipelineOf(deal).toUpperCase()} pipeline`,
            constraint: "isStageOfPipeline",
          },
        ]);
      }
      if (to.id === deal.stageId) return deal;
      return updateDeal(tx, deal, moveChanges(deal, from, to), { move: true });
    });
  },

  /** Archives a deal (a soft delete): lists leave it out, a read by id still answers. Idempotent. */
  async archive(ctx: Context, plain: unknown, only?: OnlyKind): Promise<PipelineDeal> {
    const { input, problems } = await parseInput(DealWriteArgs, plain, "");
    problems.throwIfAny();
    return runDealCommand(ctx, async (tx) => {
      const { deal } = await readWritable(tx, input.id, input.expectedVersion, { archived: "allow", only });
      if (deal.archivedAt) return deal;
      return updateDeal(tx, deal, { archivedAt: () => "now()", archivedById: tx.viewer.userId });
    });
  },

  /** Brings an archived deal back. Idempotent. */
  async restore(ctx: Context, plain: unknown): Promise<PipelineDeal> {
    const { input, problems } = await parseInput(RestoreDealArgs, plain, "");
    problems.throwIfAny();
    return runDealCommand(ctx, async (tx) => {
      const { deal } = await readWritable(tx, input.id, null, { archived: "allow" });
      if (!deal.archivedAt) return deal;
      return updateDeal(tx, deal, { archivedAt: null, archivedById: null });
    });
  },

  /**
   * Lets the members of another workspace see a deal. Sharing a WORKSPACE_LOCAL deal makes it
   * SHARED (otherwise the share would have no effect); a GLOBAL deal stays GLOBAL. Idempotent.
   */
  share(ctx: Context, plain: unknown): Promise<PipelineDeal> {
    return changeShare(ctx, plain, true);
  },

  /** Stops sharing a deal with a workspace; the visibility mode stays as it is. Idempotent. */
  unshare(ctx: Context, plain: unknown): Promise<PipelineDeal> {
    return changeShare(ctx, plain, false);
  },
};

/**
 * The columns a move changes: the stage, the close, and for an opportunity its probability and
 * the outcome fields the new stage no longer allows.
 */
export function moveChanges(deal: PipelineDeal, from: Stage, to: Stage): DealChanges {
  const changes: DealChanges = { stageId: to.id, ...closeChanges(from, to) };
  if (deal instanceof Opportunity) {
    Object.assign(changes, { probability: to.probability }, outcomeAfterMove(to, deal, {}));
  }
  return changes;
}

/** `closedAt` as a move from `from` to `to` sets it: now when it closes, null when it reopens, else untouched. */
export function closeChanges(from: Stage, to: Stage): DealChanges {
  const transition = closeTransition(from, to);
  return transition ? { closedAt: transition === "closes" ? () => "now()" : null } : {};
}

/** For an adapter of one kind of deal (the referral REST routes): another kind's id is NOT_FOUND, as a missing one. */
export interface OnlyKind {
  kind: abstract new (...args: never[]) => PipelineDeal;
  /** How the NOT_FOUND names it, such as "Referral opportunity". */
  name: string;
}

/** The deal, when the viewer may change it and it is at the expected version. */
async function readWritable(
  tx: Context,
  id: string,
  expectedVersion: number | null | undefined,
  options: { archived?: "refuse" | "allow"; workspaceId?: string; stageId?: string; only?: OnlyKind } = {},
) {
  const read = await readVisibleDeal(tx, id, options);
  if (!read || (options.only && !(read.deal instanceof options.only.kind))) throw new NotFoundError(options.only?.name ?? "Deal", id);
  assertMayChange(tx.viewer, read.deal);
  assertWritable(read.deal, expectedVersion, options);
  return read;
}

async function changeShare(ctx: Context, plain: unknown, shared: boolean): Promise<PipelineDeal> {
  const { input, problems } = await parseInput(ShareDealArgs, plain, "");
  problems.throwIfAny();
  return runDealCommand(ctx, async (tx) => {
    const { deal, target } = await readWritable(tx, input.dealId, input.expectedVersion, { workspaceId: input.workspaceId });
    const workspace = target.workspace;
    if (!workspace) throw new InputError([{ path: "workspaceId", message: "no workspace with this id exists", constraint: "exists" }]);
    if (workspace.id === deal.workspaceId) {
      throw new InputError([
        { path: "workspaceId", message: "a deal is always visible to its own workspace", constraint: "notOwnWorkspace" },
      ]);
    }
    const widened = shared && deal.visibilityMode === VisibilityMode.WORKSPACE_LOCAL;
    return writeShare(tx, deal, workspace.id, { shared, visibilityMode: widened ? VisibilityMode.SHARED : deal.visibilityMode });
  });
}
