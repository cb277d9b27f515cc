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
    webhooks: {
      worker: env.WEBHOOK_WORKER !== "false",
      allowPrivate: (env.NODE_ENV || "development") !== "production" || env.WEBHOOK_ALLOW_PRIVATE === "true",
      timeoutMs: positiveInt(env, "WEBHOOK_TIMEOUT_MS", 10_000),
      retryBaseMs: positiveInt(env, "WEBHOOK_RETRY_BASE_MS", 30_000),
      retryMaxMs: positiveInt(env, "WEBHOOK_RETRY_MAX_MS", 3_600_000),
      retryForSeconds: positiveInt(env, "WEBHOOK_RETRY_FOR_SECONDS", 24 * 3600),
      disableAfterSeconds: positiveInt(env, "WEBHOOK_DISABLE_AFTER_SECONDS", 3 * 24 * 3600),
      pollMs: positiveInt(env, "WEBHOOK_POLL_MS", 1_000),
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
