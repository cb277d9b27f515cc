import { Context, createContext } from "./context";

/**
 * Runs `work` in one database transaction, with a Context whose database handle and loaders
 * are the transaction's: every read inside sees the writes before it. On COMMIT the request's
 * loaders adopt what the transaction's loaders hold (what was read and written), so the
 * response resolves from the committed state without priming by hand; on any error the
 * transaction rolls back and the request's loaders are left as they were.
 *
 * Inside a unit of work already, `work` joins it (TypeORM turns the inner one into a savepoint).
 */
export async function inUnitOfWork<T>(ctx: Context, work: (tx: Context) => Promise<T>): Promise<T> {
  const { result, tx } = await ctx.db.transaction(async (manager) => {
    const tx = createContext(manager, ctx.viewer);
    return { result: await work(tx), tx };
  });
  ctx.loaders.adopt(tx.loaders);
  return result;
}
