import { DataSource, MigrationExecutor } from "typeorm";
import { Config } from "../../config";
import { createDataSource } from "./data-source";
import { startEmbeddedPostgres } from "./embedded";

export interface Database {
  dataSource: DataSource;
  /** True when the service runs on its own embedded PGlite. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded database in DATA_DIR when there is none,
 * and brings the schema up to date.
 */
export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "databasePoolMax" | "dataDir" | "logSql"> & Partial<Pick<Config, "databaseTimeouts">>,
  { migrate = true } = {},
): Promise<Database> {
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres(config.dataDir);
  try {
    const dataSource = createDataSource({
      url: config.databaseUrl ?? embedded!.url,
      // The embedded server is safe with exactly one connection (see embedded.ts).
      poolMax: embedded ? 1 : config.databasePoolMax,
      logQueries: config.logSql,
      timeouts: config.databaseTimeouts,
    });
    await dataSource.initialize();
    if (migrate) await runMigrations(dataSource);
    return {
      dataSource,
      embedded: Boolean(embedded),
      async close() {
        await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/** A fixed advisory-lock key, so replicas starting together migrate one after the other. */
const MIGRATION_LOCK = 7_230_301;

export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // A migration may wait for another replica's, or rewrite a large table: the request
    // timeouts of the session do not apply to it (RESET restores them below).
    await runner.query("SET statement_timeout = 0");
    await runner.query("SET lock_timeout = 0");
    await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      // The runner's connection is the only one on the embedded database, so migrations
      // must reuse it rather than ask the pool for another.
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = "each";
      const applied = await executor.executePendingMigrations();
      return applied.map((m) => m.name);
    } finally {
      await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    await runner.query("RESET statement_timeout").catch(() => undefined);
    await runner.query("RESET lock_timeout").catch(() => undefined);
    await runner.release();
  }
}
