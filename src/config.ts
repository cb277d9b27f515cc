import path from "node:path";
import { LOG_LEVELS, LogLevel } from "./core/observability/logger";

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
  /** Seed a demo organization on a database that has none (default: on the embedded database outside production). */
  seedDemo: boolean;
  /** Report each request's SQL statement count in an x-sql-statements response header. */
  exposeSqlStats: boolean;
  /** Print every SQL statement (with its parameters) as it is sent. */
  logSql: boolean;
  logLevel: LogLevel;
  /** Human-readable log lines instead of JSON (default: in development). */
  logPretty: boolean;
  /** Browser origins allowed by CORS; "localhost" stands for any loopback origin on any port. */
  corsOrigins: string[];
  /** Serve the GraphiQL playground on GET /graphql to browsers. */
  playground: boolean;
  /** How long a SIGTERM drain waits for requests in flight before closing their connections. */
  shutdownTimeoutMs: number;
  /** How far the heap grows past what a full collection left, in percent (HEAP_GROWING_PERCENT, default 100); 0: V8's own choice. */
  heapGrowingPercent: number;
  /** How long a create's idempotency key holds, in hours. */
  idempotencyKeyTtlHours: number;
  /** Per-session statement_timeout, lock_timeout and the wait for a pooled connection, in ms. */
  databaseTimeouts: DatabaseTimeouts;
  /** What one GraphQL operation may ask for; refused before it runs. */
  operationLimits: OperationLimits;
  /** Run queries as functions compiled by graphql-jit instead of graphql-js's `execute` (GRAPHQL_JIT, default on). */
  graphqlJit: boolean;
  /** Largest request body accepted, in bytes (413 above). */
  maxBodyBytes: number;
  /** Failed authentications allowed per client address before 429, and how fast they refill. */
  authThrottle: AuthThrottleSettings;
  /** API keys resolved recently, held in process (see core/auth/auth-cache.ts). */
  authCache: AuthCacheSettings;
  webhooks: WebhookConfig;
}

/** Webhook delivery (see webhook.worker.ts). */
export interface WebhookConfig {
  /** Run the delivery worker in this process (WEBHOOK_WORKER, default on). */
  worker: boolean;
  /** Endpoints may be private or loopback addresses: outside production, or WEBHOOK_ALLOW_PRIVATE=true. */
  allowPrivate: boolean;
  /** How long one attempt may take before it counts as failed (WEBHOOK_TIMEOUT_MS, default 10 s). */
  timeoutMs: number;
  /** The first retry's delay; each next one doubles, with jitter (WEBHOOK_RETRY_BASE_MS, default 30 s). */
  retryBaseMs: number;
  /** The longest delay between two attempts (WEBHOOK_RETRY_MAX_MS, default 1 h). */
  retryMaxMs: number;
  /** How long a delivery is retried before it fails (WEBHOOK_RETRY_FOR_SECONDS, default 24 h). */
  retryForSeconds: number;
  /** How long an endpoint may fail every delivery before it is turned off (WEBHOOK_DISABLE_AFTER_SECONDS, default 3 days). */
  disableAfterSeconds: number;
  /** How often an idle worker looks for due deliveries (WEBHOOK_POLL_MS, default 1 s). */
  pollMs: number;
  /** Events (with their deliveries and attempts) older than this are pruned, once none is pending (EVENT_RETENTION_DAYS, default 30). */
  retentionDays: number;
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

export interface AuthCacheSettings {
  /** How long a resolved key is kept, in ms (AUTH_CACHE_TTL_MS, default 30 s); 0 turns the cache off. */
  ttlMs: number;
  /** How many keys are kept at most, the least recently used leaving first (AUTH_CACHE_MAX_KEYS, default 10,000). */
  maxKeys: number;
}

/** The CORS_ORIGINS entry that stands for http://localhost:*, http://127.0.0.1:* and http://[::1]:*. */
export const LOOPBACK_ORIGINS = "localhost";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV || "development";
  const production = nodeEnv === "production";
  const databaseUrl = postgresUrl(env);
  return {
    databaseUrl,
    databasePoolMax: positiveInt(env, "DATABASE_POOL_MAX", 10),
    dataDir: path.resolve(env.DATA_DIR || ".data"),
    port: port(env),
    host: env.HOST || "0.0.0.0",
    nodeEnv,
    // A real server, or production, gets demo data only when asked for in so many words.
    seedDemo: bool(env, "SEED_DEMO", !databaseUrl && !production),
    exposeSqlStats: bool(env, "SQL_STATS", false),
    logSql: bool(env, "LOG_SQL", false),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    logPretty: oneOf(env, "LOG_FORMAT", ["json", "pretty"] as const, nodeEnv === "development" ? "pretty" : "json") === "pretty",
    corsOrigins: origins(env, production ? [] : [LOOPBACK_ORIGINS]),
    playground: bool(env, "PLAYGROUND", !production),
    shutdownTimeoutMs: nonNegativeInt(env, "SHUTDOWN_TIMEOUT_MS", 10_000),
    heapGrowingPercent: nonNegativeInt(env, "HEAP_GROWING_PERCENT", 100),
    idempotencyKeyTtlHours: positiveInt(env, "IDEMPOTENCY_KEY_TTL_HOURS", 24),
    exposeErrors: nodeEnv === "development" && bool(env, "EXPOSE_ERRORS", false),
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
    graphqlJit: bool(env, "GRAPHQL_JIT", true),
    maxBodyBytes: positiveInt(env, "MAX_BODY_BYTES", 1024 * 1024),
    authThrottle: {
      burst: positiveInt(env, "AUTH_FAILURE_BURST", 20),
      perMinute: positiveInt(env, "AUTH_FAILURES_PER_MINUTE", 10),
    },
    authCache: {
      ttlMs: nonNegativeInt(env, "AUTH_CACHE_TTL_MS", 30_000),
      maxKeys: positiveInt(env, "AUTH_CACHE_MAX_KEYS", 10_000),
    },
    webhooks: {
      worker: bool(env, "WEBHOOK_WORKER", true),
      allowPrivate: !production || bool(env, "WEBHOOK_ALLOW_PRIVATE", false),
      timeoutMs: positiveInt(env, "WEBHOOK_TIMEOUT_MS", 10_000),
      retryBaseMs: positiveInt(env, "WEBHOOK_RETRY_BASE_MS", 30_000),
      retryMaxMs: positiveInt(env, "WEBHOOK_RETRY_MAX_MS", 3_600_000),
      retryForSeconds: positiveInt(env, "WEBHOOK_RETRY_FOR_SECONDS", 24 * 3600),
      disableAfterSeconds: positiveInt(env, "WEBHOOK_DISABLE_AFTER_SECONDS", 3 * 24 * 3600),
      pollMs: positiveInt(env, "WEBHOOK_POLL_MS", 1_000),
      retentionDays: positiveInt(env, "EVENT_RETENTION_DAYS", 30),
    },
  };
}

const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new Error(`${name} must be true or false (or 1/0, yes/no), got "${raw}"`);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = raw.trim().toLowerCase() as T;
  if (!allowed.includes(value)) throw new Error(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  return value;
}

function postgresUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.DATABASE_URL;
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // Never echo the value: it usually holds a password.
  if (!url || !["postgres:", "postgresql:"].includes(url.protocol) || !url.hostname) {
    throw new Error("DATABASE_URL must be a postgres:// URL (postgres://user:password@host:5432/database)");
  }
  return raw;
}

function port(env: NodeJS.ProcessEnv): number {
  const value = nonNegativeInt(env, "PORT", 4000);
  if (value > 65_535) throw new Error(`PORT must be from 0 to 65535, got "${env.PORT}"`);
  return value;
}

function origins(env: NodeJS.ProcessEnv, fallback: string[]): string[] {
  const raw = env.CORS_ORIGINS;
  if (raw === undefined) return fallback;
  const list = raw.split(",").map((o) => o.trim()).filter(Boolean);
  for (const origin of list) {
    if (origin === LOOPBACK_ORIGINS) continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !["http:", "https:"].includes(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, "")) {
      throw new Error(`CORS_ORIGINS must list origins like https://app.example.com (scheme, host and port only), got "${origin}"`);
    }
  }
  return list.map((o) => (o === LOOPBACK_ORIGINS ? o : new URL(o).origin));
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
