import { committedEvents, RecordedEvent } from "../events/committed-events";
import { Context, createContext } from "./context";

/**
 * Runs `work` in one database transaction, with a Context whose database handle and loaders
 * are the transaction's: every read inside sees the writes before it. On COMMIT the request's
 * loaders adopt what the transaction's loaders hold (what was read and written), so the
 * response resolves from the committed state without priming by hand; on any error the
 * transaction rolls back and the request's loaders are left as they were.
 *
 * The writes record their events in the outbox themselves (deal.repository.ts) and tell the unit
 * of work which (recordEvents); once the transaction has committed they are announced in this
 * process (committed-events.ts).
 *
 * Inside a unit of work already, `work` joins it (TypeORM turns the inner one into a savepoint);
 * its events are announced when the outermost one commits.
 */
export async function inUnitOfWork<T>(ctx: Context, work: (tx: Context) => Promise<T>): Promise<T> {
  const { result, tx } = await ctx.db.transaction(async (manager) => {
    const tx: Context = { ...createContext(manager, ctx.viewer), unitOfWork: { events: [] } };
    return { result: await work(tx), tx };
  });
  ctx.loaders.adopt(tx.loaders);
  const events = tx.unitOfWork!.events;
  if (ctx.unitOfWork) ctx.unitOfWork.events.push(...events);
  else committedEvents.publish(events);
  return result;
}

/** Notes events a write of this unit of work recorded in the outbox. */
export function recordEvents(tx: Context, events: RecordedEvent[] | null | undefined): void {
  if (!tx.unitOfWork) throw new Error("Deal writes run in a unit of work (inUnitOfWork).");
  for (const { id, organizationId, dealId, kind, position } of events ?? []) {
    tx.unitOfWork.events.push({ id, organizationId, dealId, kind, position: Number(position) });
  }
}
