import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { DataSource } from "typeorm";
import type { JitExecutor } from "../graphql/jit-executor";

/** The outcome label of a request: ok, or the kind of failure that a dashboard separates. */
export type Outcome = "ok" | "client_error" | "server_error";

export interface Metrics {
  registry: Registry;
  requestDuration: Histogram<"operation" | "outcome">;
  requestsInFlight: Gauge;
  errors: Counter<"code">;
}

/** node-postgres' Pool, as TypeORM's postgres driver keeps it (`driver.master`). */
interface PgPoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * One registry per app instance, not prom-client's global one: tests run several apps in one
 * process, and two registrations of one metric name in a registry throw.
 */
export function createMetrics(db: DataSource): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requestDuration = new Histogram({
    name: "dealgraph_graphql_request_duration_seconds",
    help: "GraphQL requests over HTTP, by operation name and outcome, from the first byte received to the last sent.",
    labelNames: ["operation", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requestsInFlight = new Gauge({
    name: "dealgraph_graphql_requests_in_flight",
    help: "GraphQL requests received and not yet answered.",
    registers: [registry],
  });
  const errors = new Counter({
    name: "dealgraph_graphql_errors_total",
    help: "Errors in GraphQL responses, by extensions.code.",
    labelNames: ["code"] as const,
    registers: [registry],
  });

  const pool = () => (db.driver as unknown as { master?: PgPoolCounts }).master;
  const poolGauge = (name: string, help: string, read: (p: PgPoolCounts) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const p = pool();
        this.set(p ? read(p) : 0);
      },
    });
  poolGauge("dealgraph_db_pool_connections_total", "Connections the database pool holds (idle or in use).", (p) => p.totalCount);
  poolGauge("dealgraph_db_pool_connections_idle", "Connections in the pool that are idle.", (p) => p.idleCount);
  poolGauge("dealgraph_db_pool_requests_waiting", "Queries waiting for a connection from the pool.", (p) => p.waitingCount);

  return { registry, requestDuration, requestsInFlight, errors };
}

/**
 * With the JIT executor: operations it ran, by how (`compiled`, or the reason graphql-js ran one:
 * `cold` for an operation's first execution, `operation` for mutations, …; see jit-executor.ts),
 * read from its counts when scraped.
 */
export function countJitExecutions({ registry }: Metrics, jit: JitExecutor): void {
  new Counter({
    name: "dealgraph_graphql_jit_executions_total",
    help: "GraphQL operations executed with the JIT executor on: compiled, or run on graphql-js (by reason).",
    labelNames: ["path"] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ path: "compiled" }, jit.stats.compiledExecutions);
      for (const [reason, count] of Object.entries(jit.stats.fallbacks)) this.inc({ path: reason }, count);
    },
  });
}

/**
 * Operation names come from clients; an unbounded label set would grow the registry without end.
 * Names that are not plain GraphQL names, or past a bound of distinct ones, are counted as "other".
 */
export class OperationLabels {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 200) {}

  label(name: string | undefined): string {
    if (!name) return "anonymous";
    if (this.seen.has(name)) return name;
    if (!/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name) || this.seen.size >= this.max) return "other";
    this.seen.add(name);
    return name;
  }
}
