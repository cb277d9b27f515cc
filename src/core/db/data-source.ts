import "reflect-metadata";
import { EventEmitter } from "node:events";
import { Client, ClientConfig } from "pg";
import { DataSource } from "typeorm";
import { DatabaseTimeouts, DEFAULT_DATABASE_TIMEOUTS } from "../../config";
import { entities } from "./entities";
import { migrations } from "./migrations";
import { SnakeNamingStrategy } from "./naming";
import { registerPoolNotifications } from "./notifications";
import { CountingLogger } from "./sql-stats";
import { columnTypes } from "./timestamps";

/**
 * Settings of every database session. JIT compiling pays off for long analytical queries, not
 * for this service's short ones: on a list's count it cost more time than the query itself.
 * statement_timeout and lock_timeout bound what one request can hold: a stuck statement or a
 * lock held elsewhere ends in a retryable error instead of hanging every request behind it.
 * plan_cache_mode: a statement this service names (prepared.ts) is one whose text is the same
 * from request to request and whose plan does not depend on the values, so it is planned once
 * per connection. Left to choose, PostgreSQL re-plans a statement at every run whenever it
 * estimates the generic plan a little dearer than the custom ones, as it does for the
 * opportunities list (planning that statement costs 1 ms, a fifth of its run). Unnamed
 * statements, a search's among them, are planned for their values at every run as before.
 */
export function sessionOptions(timeouts: DatabaseTimeouts = DEFAULT_DATABASE_TIMEOUTS): string {
  return `-c jit=off -c plan_cache_mode=force_generic_plan -c statement_timeout=${timeouts.statementMs} -c lock_timeout=${timeouts.lockMs}`;
}

/**
 * A pg client that never leaves an `error` event unheard. pg-pool listens while a connection is
 * idle and TypeORM while a query runner holds it, but between the two there is a gap: when the
 * server ends a session (pg_terminate_backend, a restart) in the same packet that makes a new
 * connection ready, the error is emitted before TypeORM has attached its listener, and an
 * unheard `error` event ends the process. Heard here, the connection is simply unusable: its
 * next query fails (SERVICE_UNAVAILABLE, retryable) and the pool discards it on release.
 */
class GuardedClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on("error", () => undefined);
  }
}

export interface DataSourceSettings {
  url: string;
  poolMax: number;
  logQueries?: boolean;
  /** Print TypeORM's schema and migration messages (for its CLI). */
  verbose?: boolean;
  timeouts?: DatabaseTimeouts;
  /** The sessions' application_name, by which pg_stat_activity tells them apart. */
  applicationName?: string;
}

/** The one way a DataSource is made: the service, the CLI, the tests and ormconfig.ts all call this. */
export function createDataSource({
  url,
  poolMax,
  logQueries = false,
  verbose = false,
  timeouts = DEFAULT_DATABASE_TIMEOUTS,
  applicationName = "dealgraph",
}: DataSourceSettings): DataSource {
  // A pooled connection hears a NOTIFY only where its session LISTENs: on the embedded database,
  // whose one session every connection shares (notifications.ts).
  const heard = new EventEmitter();
  class PooledClient extends GuardedClient {
    constructor(config?: string | ClientConfig) {
      super(config);
      this.on("notification", (message) => heard.emit("notification", message));
    }
  }
  const dataSource = new DataSource({
    type: "postgres",
    url,
    applicationName,
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
    // connectionTimeoutMillis bounds the wait for a pooled connection (the embedded database
    // has only one), so a request queued behind a stuck one fails retryably instead of hanging.
    extra: { max: poolMax, options: sessionOptions(timeouts), connectionTimeoutMillis: timeouts.acquireMs, Client: PooledClient, types: columnTypes },
  });
  registerPoolNotifications(dataSource, heard);
  return dataSource;
}
