import "reflect-metadata";
import { DataSource } from "typeorm";
import { entities } from "./entities";
import { migrations } from "./migrations";
import { SnakeNamingStrategy } from "./naming";
import { CountingLogger } from "./sql-stats";

/**
 * Settings of every database session. JIT compiling pays off for long analytical queries, not
 * for this service's short ones: on a list's count it cost more time than the query itself.
 */
export const SESSION_OPTIONS = "-c jit=off";

export interface DataSourceSettings {
  url: string;
  poolMax: number;
  logQueries?: boolean;
  /** Print TypeORM's schema and migration messages (for its CLI). */
  verbose?: boolean;
}

/** The one way a DataSource is made: the service, the CLI, the tests and ormconfig.ts all call this. */
export function createDataSource({ url, poolMax, logQueries = false, verbose = false }: DataSourceSettings): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities,
    migrations,
    migrationsTableName: "typeorm_migrations",
    migrationsTransactionMode: "each",
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    installExtensions: false,
    uuidExtension: "pgcrypto",
    logger: new CountingLogger(logQueries, verbose),
    extra: { max: poolMax, options: SESSION_OPTIONS },
  });
}
