import { ApolloServer, ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { DataSource } from "typeorm";
import { Config } from "./config";
import { Context } from "./core/context/context";
import { withoutPreparedStatements } from "./core/db/prepared";
import { createErrorFormatter } from "./core/errors/format-error";
import { retryableStatusPlugin } from "./core/errors/http-status-plugin";
import { inputHygienePlugin } from "./core/graphql/input-hygiene";
import { JitExecutor, JitExecutorOptions } from "./core/graphql/jit-executor";
import { operationLimitRules, operationLimitsPlugin } from "./core/graphql/operation-limits";
import { CorsPolicy } from "./core/http/cors";
import { Lifecycle } from "./core/http/health";
import { createRestRouter } from "./core/http/rest";
import { RunningHttpServer, startHttpServer } from "./core/http/server";
import { createLogger, Logger, setBackgroundLogger, silentLogger } from "./core/observability/logger";
import { countJitExecutions, createMetrics, Metrics } from "./core/observability/metrics";
import { RequestObserver } from "./core/observability/request-observer";
import { idempotency } from "./modules/deal/deal-creation";
import { referralOpenApi } from "./modules/referral/referral.openapi";
import { referralRoutes } from "./modules/referral/referral.rest";
import { webhookUrlPolicy } from "./modules/webhook/webhook.commands";
import { startWebhookWorker, WebhookWorker } from "./modules/webhook/webhook.worker";
import { startWebSocketServer } from "./core/http/websocket";
import { DealEventHub } from "./modules/events/deal-event.hub";
import { startDealEventFeed } from "./modules/events/deal-event.listener";
import { DEAL_EVENT_CHANNEL } from "./modules/events/deal-event.outbox";
import { Notifications, startNotifications } from "./core/db/notifications";
import { AUTH_CHANGED_CHANNEL, startAuthCache } from "./core/auth/auth-cache";
import { dealEventSubscriptions } from "./modules/events/deal-event.resolver";
import { getSchema } from "./schema";

export interface ApolloOptions {
  logger?: Logger;
  plugins?: ApolloServerPlugin<Context>[];
  /** The JIT executor's cache settings (with `graphqlJit`); its defaults otherwise. */
  jit?: JitExecutorOptions;
}

const jitExecutors = new WeakMap<ApolloServer<Context>, JitExecutor>();

/** The JIT executor that runs an Apollo server's operations; undefined when graphql-js runs them (GRAPHQL_JIT=false). */
export function jitExecutorOf(apollo: ApolloServer<Context>): JitExecutor | undefined {
  return jitExecutors.get(apollo);
}

/**
 * The GraphQL server, without HTTP: what the HTTP front and `executeOperation` tests share.
 * With `graphqlJit` (GRAPHQL_JIT, on by default) Apollo still parses, validates and runs every
 * plugin hook, and hands execution to the JIT executor (jit-executor.ts) as its "gateway", which
 * Apollo supports for exactly that: a schema and an executor of one's own.
 */
export async function createApolloServer(
  { exposeErrors, operationLimits, graphqlJit }: Pick<Config, "exposeErrors" | "operationLimits" | "graphqlJit">,
  { logger = silentLogger, plugins = [], jit: jitOptions }: ApolloOptions = {},
): Promise<ApolloServer<Context>> {
  const schema = await getSchema();
  const jit = graphqlJit ? new JitExecutor(schema, jitOptions) : undefined;
  const apollo = new ApolloServer<Context>({
    ...(jit ? { gateway: jit.gateway() } : { schema }),
    formatError: createErrorFormatter({ exposeErrors }),
    // Limits on an operation's size are checked before it runs (operation-limits.ts).
    parseOptions: { maxTokens: operationLimits.maxTokens },
    validationRules: operationLimitRules(operationLimits),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    logger,
    // main.ts owns shutdown (HTTP, then Apollo, then the database); Apollo's own signal
    // handlers would race it and leave the process hanging.
    stopOnTerminationSignals: false,
    plugins: [
      // No cache hints in this API; the plugin would otherwise wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      operationLimitsPlugin(operationLimits),
      inputHygienePlugin,
      retryableStatusPlugin,
      // The service serves its own playground (GraphiQL, offline) instead of Apollo's landing page.
      ApolloServerPluginLandingPageDisabled(),
      ...plugins,
    ],
  });
  await apollo.start();
  if (jit) jitExecutors.set(apollo, jit);
  return apollo;
}

export interface RunningApp {
  url: string;
  apollo: ApolloServer<Context>;
  logger: Logger;
  metrics: Metrics;
  /** `draining` turns true the moment stop() begins. */
  lifecycle: Lifecycle;
  /** The service's LISTEN connection: `listening` says whether it hears the database now; `subscribe` hears a channel too. */
  notifications: Pick<Notifications, "listening" | "subscribe">;
  /** Drains HTTP (requests in flight are answered), then stops Apollo. Leaves the database open. */
  stop(): Promise<void>;
}

export interface AppOptions {
  /** Where log lines go; by default a logger made from the config (LOG_LEVEL, LOG_FORMAT). */
  logger?: Logger;
  /** The database is the embedded one, which cannot LISTEN (see deal-event.listener.ts). */
  embedded?: boolean;
}

/**
 * Apollo behind the HTTP front, on an open database, with subscriptions over WebSocket on the same
 * port and the webhook delivery worker (unless WEBHOOK_WORKER=false). Stopping it leaves the
 * database open.
 */
export async function startApp(config: Config, db: DataSource, options: AppOptions = {}): Promise<RunningApp> {
  idempotency.ttlMs = config.idempotencyKeyTtlHours * 3_600_000;
  webhookUrlPolicy.allowPrivate = config.webhooks.allowPrivate;
  const logger = options.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty });
  setBackgroundLogger(logger);
  const metrics = createMetrics(db);
  const observer = new RequestObserver(logger, metrics);
  const apollo = await createApolloServer(config, { logger, plugins: [observer.plugin()] });
  const jit = jitExecutorOf(apollo);
  if (jit) countJitExecutions(metrics, jit);
  const embedded = options.embedded ?? false;
  // One LISTEN connection for the service: deal events (on a server; the embedded database
  // announces them in process) and changes to what API keys resolve to.
  const notifications = await startNotifications(db, {
    embedded,
    channels: embedded ? [AUTH_CHANGED_CHANNEL] : [DEAL_EVENT_CHANNEL, AUTH_CHANGED_CHANNEL],
  }).catch(async (error) => {
    await apollo.stop();
    throw error;
  });
  // Before the first request: a key is resolved from the database until the cache is trusted.
  const authCache = startAuthCache(db, config.authCache, notifications);
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({
      apollo,
      db,
      port: config.port,
      host: config.host,
      exposeSqlStats: config.exposeSqlStats,
      rest: { answer: createRestRouter(referralRoutes, db), openApi: referralOpenApi },
      observer,
      cors: new CorsPolicy(config.corsOrigins),
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      playground: config.playground,
      maxBodyBytes: config.maxBodyBytes,
      authThrottle: config.authThrottle,
    });
  } catch (error) {
    authCache.stop();
    await notifications.stop();
    await apollo.stop();
    throw error;
  }
  if (options.embedded) withoutPreparedStatements(db);
  const hub = new DealEventHub(db);
  const feed = startDealEventFeed(notifications, { embedded }, (ref) => hub.publish(ref));
  dealEventSubscriptions.hub = hub;
  const websocket = startWebSocketServer(http.server, {
    schema: await getSchema(),
    db,
    formatError: createErrorFormatter({ exposeErrors: config.exposeErrors }),
  });
  const worker: WebhookWorker | null = config.webhooks.worker ? startWebhookWorker(db, config.webhooks) : null;
  return {
    url: http.url,
    apollo,
    logger,
    metrics,
    lifecycle: http.lifecycle,
    notifications,
    async stop() {
      // The drain begins at once (readiness answers 503 from here), while the background work stops.
      const draining = http.close();
      await worker?.stop();
      await websocket.close();
      await feed.stop();
      authCache.stop();
      await notifications.stop();
      if (dealEventSubscriptions.hub === hub) dealEventSubscriptions.hub = null;
      await draining;
      await apollo.stop();
    },
  };
}
