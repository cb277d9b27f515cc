import { GraphQLError, GraphQLFormattedError, GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import http from "node:http";
import { DataSource } from "typeorm";
import { WebSocketServer } from "ws";
import { authenticate } from "../auth/authenticate";
import { Viewer } from "../auth/viewer";
import { createContext } from "../context/context";
import { AppError, ErrorCode } from "../errors/errors";

export interface WebSocketOptions {
  schema: GraphQLSchema;
  db: DataSource;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

export interface RunningWebSocketServer {
  close(): Promise<void>;
}

/**
 * GraphQL over WebSocket (the graphql-ws protocol) on the HTTP server's /graphql, for
 * subscriptions. The client authenticates once, when it connects, with the API key in
 * connectionParams (`{ authorization: "Bearer dg_…", workspaceId? }`), checked exactly as the
 * HTTP requests' header is; a refused key closes the socket with 4401 (4403 for a workspace the
 * user is not a member of), and the reason.
 */
export function startWebSocketServer(server: http.Server, options: WebSocketOptions): RunningWebSocketServer {
  const wss = new WebSocketServer({ server, path: "/graphql" });
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => options.formatError(error.toJSON(), error));
  const graphqlWs = useServer<Record<string, unknown>, { viewer?: Viewer }>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const text = (value: unknown) => (typeof value === "string" ? value : undefined);
        try {
          ctx.extra.viewer = await authenticate(options.db, {
            authorization: text(params.authorization) ?? text(params.Authorization),
            workspaceId: text(params.workspaceId) ?? text(params["x-workspace-id"]),
          });
          return true;
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          const code = error.extensions.code === ErrorCode.FORBIDDEN ? 4403 : 4401;
          // A close reason is at most 123 bytes.
          ctx.extra.socket.close(code, error.message.slice(0, 120));
          return false;
        }
      },
      context: (ctx) => createContext(options.db, ctx.extra.viewer!),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) as never } : result),
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
  );
  return {
    async close() {
      for (const client of wss.clients) client.close(1001, "The server is shutting down");
      await graphqlWs.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
