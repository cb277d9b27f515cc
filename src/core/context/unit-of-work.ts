import { committedEvents, RecordedEvent } from "../events/committed-events";
import { Context, createContext } from "./context";

/** How a unit of work makes its writes atomic (see inUnitOfWork). */
export type Atomicity = "transaction" | "statement";

/**
 * Runs `work` as one unit: with a Context of its own (fresh loaders, the events its writes
 * record), whose loaders the request's adopt once the work has succeeded (what was read and
 * written), so the response resolves from the stored state without priming by hand; on any
 * error the request's loaders are left as they were and no event is announced.
 *
 * `atomicity` says what makes the writes atomic:
 * - "transaction" (the default): one database transaction, BEGIN … COMMIT, whose `db` every
 *   read and write inside uses, so each sees the writes before it. For work that writes in
 *   several statements (admin, webhooks).
 * - "statement": no transaction. The work reads as it likes and writes in ONE statement (a
 *   data-modifying CTE, atomic by itself: PostgreSQL commits or rolls back a statement whole);
 *   a second write is refused (recordWrite). Reads are not locked: a write that depends on what
 *   was read guards itself (the deal writes check the version they read, see deal-command.ts).
 *
 * The writes record their events in the outbox themselves (deal.repository.ts) and tell the unit
 * of work which (recordWrite); once committed they are announced in this process
 * (committed-events.ts).
 *
 * Inside a unit of work already, `work` joins it (TypeORM turns an inner transaction into a
 * savepoint; a statement is part of the outer transaction); its events are announced when the
 * outermost one commits.
 */
export async function inUnitOfWork<T>(
  ctx: Context,
  work: (tx: Context) => Promise<T>,
  { atomicity = "transaction" }: { atomicity?: Atomicity } = {},
): Promise<T> {
  const begin = (db: Context["db"]): Context => ({ ...createContext(db, ctx.viewer), unitOfWork: { events: [], atomicity, writes: 0 } });
  const { result, tx } =
    atomicity === "statement"
      ? await (async () => {
          const tx = begin(ctx.db);
          return { result: await work(tx), tx };
        })()
      : await ctx.db.transaction(async (manager) => {
          const tx = begin(manager);
          return { result: await work(tx), tx };
        });
  ctx.loaders.adopt(tx.loaders);
  const events = tx.unitOfWork!.events;
  if (ctx.unitOfWork) ctx.unitOfWork.events.push(...events);
  else committedEvents.publish(events);
  return result;
}

/**
 * Notes a write of this unit of work and the events it recorded in the outbox. A unit of work
 * without a transaction ("statement") writes once: a second write would not be atomic with the first.
 */
export function recordWrite(tx: Context, events: RecordedEvent[] | null | undefined): void {
  const unit = tx.unitOfWork;
  if (!unit) throw new Error("Deal writes run in a unit of work (inUnitOfWork).");
  unit.writes += 1;
  if (unit.atomicity === "statement" && unit.writes > 1) {
    throw new Error("A unit of work without a transaction writes in one statement; this is its second write.");
  }
  for (const { id, organizationId, dealId, kind, position, deliveries } of events ?? []) {
    unit.events.push({ id, organizationId, dealId, kind, position: Number(position), deliveries: Number(deliveries) });
  }
}
