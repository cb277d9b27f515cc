import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "../../core/context/context";
import { inUnitOfWork } from "../../core/context/unit-of-work";
import { ConflictError } from "../../core/errors/errors";
import { DealChangedError } from "./deal.repository";

/**
 * How many times a deal command runs when other writes keep coming between its read and its
 * write. Of writers racing for one deal each round lets at least one through, so the last of a
 * burst of N needs up to N attempts: ten covers the bursts a person and their integrations make
 * (the tests race six shares), and bounds the work under a stampede.
 */
export const dealCommandAttempts = 10;

/**
 * Runs a deal command (create, update, move, archive, restore, share): it reads what it needs
 * (readVisibleDeal and the rows it names, in one statement), decides by the rules in JavaScript,
 * and writes in ONE statement (deal.repository.ts), atomic without BEGIN/COMMIT and without a
 * lock: a unit of work whose atomicity is the statement (unit-of-work.ts).
 *
 * The write is guarded by the version the command read. When another write came between
 * (DealChangedError), nothing was written, and the command runs again from its read: one that
 * named an expectedVersion then answers CONFLICT with the current version (assertWritable);
 * one that did not decides again on the deal as it now is, so its history and events describe
 * the change it really made. After dealCommandAttempts lost races it answers CONFLICT.
 */
export async function runDealCommand<T>(ctx: Context, command: (tx: Context) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inUnitOfWork(ctx, command, { atomicity: "statement" });
    } catch (error) {
      if (!(error instanceof DealChangedError)) throw error;
      if (attempt >= dealCommandAttempts) {
        throw new ConflictError("The deal kept changing while this write was made: read it again and retry.", { reason: "BUSY" });
      }
      // A short random pause (growing, at most 32 ms), so that writers racing for one deal do not
      // meet again at once.
      await sleep(Math.random() * Math.min(2 ** attempt, 32));
    }
  }
}
