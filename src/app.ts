import { ApolloServer } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { DataSource } from "typeorm";
import { Config } from "./config";
import { Context } from "./core/context/context";
import { createErrorFormatter } from "./core/errors/format-error";
import { createRestRouter } from "./core/http/rest";
import { RunningHttpServer, startHttpServer } from "./core/http/server";
import { idempotency } from "./modules/deal/deal-creation";
import { referralOpenApi } from "./modules/referral/referral.openapi";
import { referralRoutes } from "./modules/referral/referral.rest";
import { webhookUrlPolicy } from "./modules/webhook/webhook.commands";
import { startWebhookWorker, WebhookWorker } from "./modules/webhook/webhook.worker";
import { startWebSocketServer } from "./core/http/websocket";
import { DealEventHub } from "./modules/events/deal-event.hub";
import { startDealEventFeed } from "./modules/events/deal-event.listener";
import { dealEventSubscriptions } from "./modules/events/deal-event.resolver";
import { getSchema } from "./schema";

/** The GraphQL server, without HTTP: what the HTTP front and `executeOperation` tests share. */
export async function createApolloServer({ nodeEnv }: Pick<Config, "nodeEnv">): Promise<ApolloServer<Context>> {
  const development = nodeEnv === "development";
  const apollo = new ApolloServer<Context>({
    schema: await getSchema(),
    formatError: createErrorFormatter({ development }),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // main.ts owns shutdown (HTTP, then Apollo, then the database); Apollo's own signal
    // handlers would race it and leave the process hanging.
    stopOnTerminationSignals: false,
    plugins: [
      // No cache hints in this API; the plugin would otherwise wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      ...(nodeEnv === "production" ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await apollo.start();
  return apollo;
}

export interface RunningApp {
  url: string;
  apollo: ApolloServer<Context>;
  stop(): Promise<void>;
}

/**
 * Apollo behind the HTTP front, on an open database, with subscriptions over WebSocket on the same
 * port and the webhook delivery worker (unless WEBHOOK_WORKER=false). `embedded` says the database
 * is the embedded one, which cannot LISTEN (see deal-event.listener.ts). Stopping it leaves the
 * database open.
 */
export async function startApp(config: Config, db: DataSource, { embedded = false }: { embedded?: boolean } = {}): Promise<RunningApp> {
  idempotency.ttlMs = config.idempotencyKeyTtlHours * 3_600_000;
  webhookUrlPolicy.allowPrivate = config.webhooks.allowPrivate;
  const apollo = await createApolloServer(config);
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({
      apollo,
      db,
      port: config.port,
      host: config.host,
      exposeSqlStats: config.exposeSqlStats,
      rest: { answer: createRestRouter(referralRoutes, db), openApi: referralOpenApi },
    });
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  const hub = new DealEventHub(db);
  const feed = await startDealEventFeed(db, { embedded }, (ref) => hub.publish(ref));
  dealEventSubscriptions.hub = hub;
  const websocket = startWebSocketServer(http.server, {
    schema: await getSchema(),
    db,
    formatError: createErrorFormatter({ development: config.nodeEnv === "development" }),
  });
  const worker: WebhookWorker | null = config.webhooks.worker ? startWebhookWorker(db, config.webhooks) : null;
  return {
    url: http.url,
    apollo,
    async stop() {
      await worker?.stop();
      await websocket.close();
      await feed.stop();
      if (dealEventSubscriptions.hub === hub) dealEventSubscriptions.hub = null;
      await http.close();
      await apollo.stop();
    },
  };
}
