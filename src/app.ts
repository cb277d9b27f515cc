import { ApolloServer } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { DataSource } from "typeorm";
import { Config } from "./config";
import { Context } from "./core/context/context";
import { createErrorFormatter } from "./core/errors/format-error";
import { retryableStatusPlugin } from "./core/errors/http-status-plugin";
import { inputHygienePlugin } from "./core/graphql/input-hygiene";
import { operationLimitRules, operationLimitsPlugin } from "./core/graphql/operation-limits";
import { RunningHttpServer, startHttpServer } from "./core/http/server";
import { getSchema } from "./schema";

/** The GraphQL server, without HTTP: what the HTTP front and `executeOperation` tests share. */
export async function createApolloServer({
  nodeEnv,
  exposeErrors,
  operationLimits,
}: Pick<Config, "nodeEnv" | "exposeErrors" | "operationLimits">): Promise<ApolloServer<Context>> {
  const apollo = new ApolloServer<Context>({
    schema: await getSchema(),
    formatError: createErrorFormatter({ exposeErrors }),
    // Limits on an operation's size are checked before it runs (operation-limits.ts).
    parseOptions: { maxTokens: operationLimits.maxTokens },
    validationRules: operationLimitRules(operationLimits),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // main.ts owns shutdown (HTTP, then Apollo, then the database); Apollo's own signal
    // handlers would race it and leave the process hanging.
    stopOnTerminationSignals: false,
    plugins: [
      // No cache hints in this API; the plugin would otherwise wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      operationLimitsPlugin(operationLimits),
      inputHygienePlugin,
      retryableStatusPlugin,
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

/** Apollo behind the HTTP front, on an open database. Stopping it leaves the database open. */
export async function startApp(config: Config, db: DataSource): Promise<RunningApp> {
  const apollo = await createApolloServer(config);
  let http: RunningHttpServer;
  try {
    http = await startHttpServer({
      apollo,
      db,
      port: config.port,
      host: config.host,
      exposeSqlStats: config.exposeSqlStats,
      maxBodyBytes: config.maxBodyBytes,
      authThrottle: config.authThrottle,
    });
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  return {
    url: http.url,
    apollo,
    async stop() {
      await http.close();
      await apollo.stop();
    },
  };
}
