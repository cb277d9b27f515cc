import path from "node:path";

/** Everything the service reads from its environment, read once. */
export interface Config {
  /** PostgreSQL server to use; when absent the service runs on an embedded PGlite. */
  databaseUrl?: string;
  databasePoolMax: number;
  /** Where the embedded database keeps its files (and the demo key). */
  dataDir: string;
  port: number;
  host: string;
  /** development | test | production: development alone shows internal error messages. */
  nodeEnv: string;
  /** Seed a demo organization on a database that has none (default on). */
  seedDemo: boolean;
  /** Report each request's SQL statement count in an x-sql-statements response header. */
  exposeSqlStats: boolean;
  /** Print every SQL statement (with its parameters) as it is sent. */
  logSql: boolean;
  /** How long a create's idempotency key holds, in hours. */
  idempotencyKeyTtlHours: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolMax: positiveInt(env, "DATABASE_POOL_MAX", 10),
    dataDir: path.resolve(env.DATA_DIR || ".data"),
    port: nonNegativeInt(env, "PORT", 4000),
    host: env.HOST || "0.0.0.0",
    nodeEnv: env.NODE_ENV || "development",
    seedDemo: env.SEED_DEMO !== "false",
    exposeSqlStats: env.SQL_STATS === "true",
    logSql: env.LOG_SQL === "true",
    idempotencyKeyTtlHours: positiveInt(env, "IDEMPOTENCY_KEY_TTL_HOURS", 24),
  };
}

function nonNegativeInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = nonNegativeInt(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be at least 1`);
  return value;
}
