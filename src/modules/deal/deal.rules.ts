import { Viewer } from "../../core/auth/viewer";
import { ConflictError, ForbiddenError } from "../../core/errors/errors";
import { Pipeline, Stage } from "../stage/stage.entity";
import { DealKind } from "./deal.enums";
import { PipelineDeal } from "./pipeline-deal.entity";

/**
 * The rules every deal write obeys, as plain functions of what they decide on. Who may change a
 * deal is written once here, for updates, moves, archiving and sharing alike.
 */

/** A deal's owner and the members of its workspace may change it; others who can see it may not. */
export function assertMayChange(viewer: Viewer, deal: PipelineDeal): void {
  if (deal.ownerId !== viewer.userId && !viewer.workspaceIds.includes(deal.workspaceId)) {
    throw new ForbiddenError("Only the deal's owner and members of its workspace can change it.");
  }
}

/**
 * A write names the version it expects (optional): any other is CONFLICT, with the current one,
 * so a client can read the deal again and decide. An archived deal is read-only until restored.
 */
export function assertWritable(deal: PipelineDeal, expectedVersion: number | null | undefined, { archived = "refuse" } = {}): void {
  if (expectedVersion !== null && expectedVersion !== undefined && expectedVersion !== deal.version) {
    throw new ConflictError(
      `The deal is at version ${deal.version}, not ${expectedVersion}: it changed since you read it. Read it again and retry.`,
      { reason: "VERSION_MISMATCH", currentVersion: deal.version },
    );
  }
  if (archived === "refuse" && deal.archivedAt) {
    throw new ConflictError("The deal is archived: restore it (restoreDeal) before changing it.", {
      reason: "ARCHIVED",
      currentVersion: deal.version,
    });
  }
}

/** The pipeline a kind of deal moves through. */
export function pipelineOf(deal: Pick<PipelineDeal, "kind">): Pipeline {
  return deal.kind === DealKind.REFERRAL ? Pipeline.REFERRAL : Pipeline.SALES;
}

const isClosing = (stage: Stage) => stage.isWon || stage.isLost;

/**
 * What entering `to` from `from` does to the deal's close: entering a won or lost stage closes
 * it (again, when it moves from won to lost or back); leaving them reopens it.
 */
export function closeTransition(from: Stage, to: Stage): "closes" | "reopens" | null {
  if (isClosing(to) && from.id !== to.id) return "closes";
  if (isClosing(from) && !isClosing(to)) return "reopens";
  return null;
}

/**
 * The columns of `next` whose value differs from the deal's: dates by instant, lists by their
 * items, amounts by their decimal value ("5.10" is "5.1"). An empty result means the write
 * would change nothing.
 */
export function dealChanges<T extends object>(deal: T, next: Record<string, unknown>): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(next)) {
    if (!sameValue(column, (deal as Record<string, unknown>)[column], value)) changes[column] = value;
  }
  return changes;
}

function sameValue(column: string, a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  // The amount column is numeric: PostgreSQL answers "5.1000" for a stored 5.1.
  if (column === "value" && typeof a === "string" && typeof b === "string" && DECIMAL.test(a) && DECIMAL.test(b)) {
    return canonical(a) === canonical(b);
  }
  return a === b;
}

const DECIMAL = /^\d+(\.\d+)?$/;
const canonical = (decimal: string) => (decimal.includes(".") ? decimal.replace(/\.?0+$/, "") : decimal);
