import { createHash } from "node:crypto";
import { DataSource, EntityManager, ObjectLiteral, QueryFailedError, SelectQueryBuilder } from "typeorm";
import { BroadcasterResult } from "typeorm/subscriber/BroadcasterResult";

/** Most statements one connection keeps prepared: each holds a plan in its PostgreSQL backend. */
export const MAX_PREPARED_PER_CONNECTION = 64;

interface PgClient {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** The statement names each pg connection has prepared (a connection lives as long as its client). */
const preparedBy = new WeakMap<PgClient, Set<string>>();

const unnamedOnly = new WeakSet<DataSource>();

/**
 * Sends every statement of `db` unnamed. For the embedded database: its connections share one
 * PGlite session, where a name one connection prepared is taken for the next.
 */
export function withoutPreparedStatements(db: DataSource): void {
  unnamedOnly.add(db);
}

/**
 * Runs `sql` as a named prepared statement of the connection `db` uses (its transaction's, if
 * any): PostgreSQL parses and plans it once per connection, a generic plan kept for every run
 * (the sessions' plan_cache_mode, see data-source.ts). TypeORM's query runner
 * sends every statement unnamed, so this talks to its pg client directly, and logs, counts,
 * announces (query events) and reports errors as TypeORM does. For SQL whose text is fixed for
 * a given shape of request: beyond MAX_PREPARED_PER_CONNECTION texts a connection runs further
 * ones unnamed.
 */
export async function queryPrepared(db: EntityManager, sql: string, parameters: unknown[]): Promise<Array<Record<string, unknown>>> {
  if (unnamedOnly.has(db.connection)) return db.query(sql, parameters);
  const runner = db.queryRunner ?? db.connection.createQueryRunner();
  try {
    const client = (await runner.connect()) as PgClient;
    let prepared = preparedBy.get(client);
    if (!prepared) preparedBy.set(client, (prepared = new Set()));
    const name = `dealgraph_${createHash("sha1").update(sql).digest("base64url")}`;
    const named = prepared.has(name) || prepared.size < MAX_PREPARED_PER_CONNECTION;
    // What TypeORM's PostgresQueryRunner.query does around the driver call: the logger (which
    // counts statements) and the query events its subscribers listen to.
    db.connection.logger.logQuery(sql, parameters, runner);
    await runner.broadcaster.broadcast("BeforeQuery", sql, parameters);
    const broadcast = new BroadcasterResult();
    try {
      const started = Date.now();
      const result = await client.query({ name: named ? name : undefined, text: sql, values: parameters });
      if (named) prepared.add(name);
      runner.broadcaster.broadcastAfterQueryEvent(broadcast, sql, parameters, true, Date.now() - started, result, undefined);
      return result.rows;
    } catch (error) {
      db.connection.logger.logQueryError(error as Error, sql, parameters, runner);
      runner.broadcaster.broadcastAfterQueryEvent(broadcast, sql, parameters, false, undefined, undefined, error);
      throw new QueryFailedError(sql, parameters, error as Error);
    } finally {
      await broadcast.wait();
    }
  } finally {
    if (!db.queryRunner) await runner.release();
  }
}

/** `qb.getRawMany()` as a named prepared statement (see queryPrepared), on the connection `db` uses. */
export function getRawPrepared(db: EntityManager, qb: SelectQueryBuilder<ObjectLiteral>): Promise<Array<Record<string, unknown>>> {
  return queryPrepared(db, ...qb.getQueryAndParameters());
}
