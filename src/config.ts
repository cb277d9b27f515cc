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
  /** development | test | production. */
  nodeEnv: string;
  /** Show internal error messages to callers: only in development, and only with EXPOSE_ERRORS=true. */
  exposeErrors: boolean;
  /** Seed a demo organization on a database that has none (default on). */
  seedDemo: boolean;
  /** Report each request's SQL statement count in an x-sql-statements response header. */
  exposeSqlStats: boolean;
  /** Print every SQL statement (with its parameters) as it is sent. */
  logSql: boolean;
  /** Per-session statement_timeout, lock_timeout and the wait for a pooled connection, in ms. */
  databaseTimeouts: DatabaseTimeouts;
  /** What one GraphQL operation may ask for; refused before it runs. */
  operationLimits: OperationLimits;
  /** Largest request body accepted, in bytes (413 above). */
  maxBodyBytes: number;
  /** Failed authentications allowed per client address before 429, and how fast they refill. */
  authThrottle: AuthThrottleSettings;
}

export interface DatabaseTimeouts {
  statementMs: number;
  lockMs: number;
  acquireMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { statementMs: 5000, lockMs: 2000, acquireMs: 3000 };

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxCost: number;
  /** Write root fields in one operation without X-Allow-Batch: true. */
  maxWritesUnbatched: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 5000,
  maxCost: 50_000,
  maxWritesUnbatched: 1,
};

export interface AuthThrottleSettings {
  /** Failures a client address may have in a burst. */
  burst: number;
  /** Failures forgiven per minute. */
  perMinute: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolMax: positiveInt(env, "DATABASE_POOL_MAX", 10),
    dataDir: path.resolve(env.DATA_DIR || ".data"),
    port: nonNegativeInt(env, "PORT", 4000),
    host: env.HOST || "0.0.0.0",
    nodeEnv: env.NODE_ENV || "development",
    exposeErrors: (env.NODE_ENV || "development") === "development" && env.EXPOSE_ERRORS === "true",
    seedDemo: env.SEED_DEMO !== "false",
    exposeSqlStats: env.SQL_STATS === "true",
    logSql: env.LOG_SQL === "true",
    databaseTimeouts: {
      statementMs: positiveInt(env, "DATABASE_STATEMENT_TIMEOUT_MS", DEFAULT_DATABASE_TIMEOUTS.statementMs),
      lockMs: positiveInt(env, "DATABASE_LOCK_TIMEOUT_MS", DEFAULT_DATABASE_TIMEOUTS.lockMs),
      acquireMs: positiveInt(env, "DATABASE_ACQUIRE_TIMEOUT_MS", DEFAULT_DATABASE_TIMEOUTS.acquireMs),
    },
    operationLimits: {
      maxDepth: positiveInt(env, "MAX_QUERY_DEPTH", DEFAULT_OPERATION_LIMITS.maxDepth),
      maxAliases: nonNegativeInt(env, "MAX_QUERY_ALIASES", DEFAULT_OPERATION_LIMITS.maxAliases),
      maxRootFields: positiveInt(env, "MAX_ROOT_FIELDS", DEFAULT_OPERATION_LIMITS.maxRootFields),
      maxTokens: positiveInt(env, "MAX_QUERY_TOKENS", DEFAULT_OPERATION_LIMITS.maxTokens),
      maxCost: positiveInt(env, "MAX_QUERY_COST", DEFAULT_OPERATION_LIMITS.maxCost),
      maxWritesUnbatched: DEFAULT_OPERATION_LIMITS.maxWritesUnbatched,
    },
    maxBodyBytes: positiveInt(env, "MAX_BODY_BYTES", 1024 * 1024),
    authThrottle: {
      burst: positiveInt(env, "AUTH_FAILURE_BURST", 20),
      perMinute: positiveInt(env, "AUTH_FAILURES_PER_MINUTE", 10),
    },
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
