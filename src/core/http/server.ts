import { ApolloServer, HeaderMap, HTTPGraphQLRequest } from "@apollo/server";
import http from "node:http";
import { AddressInfo } from "node:net";
import { DataSource } from "typeorm";
import { authenticate } from "../auth/authenticate";
import { Context, createContext } from "../context/context";
import { SqlStats, withSqlStats } from "../db/sql-stats";
import { fromDatabaseError } from "../errors/database-errors";
import { ErrorCode, UnauthenticatedError } from "../errors/errors";
import { databaseAnswers, readJsonBody, requestUrl } from "./limits";
import { AuthFailureThrottle } from "./throttle";

export interface HttpServerOptions {
  apollo: ApolloServer<Context>;
  db: DataSource;
  port: number;
  host: string;
  /** Report each request's SQL statement count in an `x-sql-statements` header. */
  exposeSqlStats: boolean;
  /** Largest request body accepted (413 above). */
  maxBodyBytes: number;
  authThrottle: { burst: number; perMinute: number };
}

export interface RunningHttpServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A small HTTP front for Apollo: POST/GET /graphql, GET /health, nothing else. Node's own
 * http module keeps the per-request overhead to what Apollo itself needs.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const throttle = new AuthFailureThrottle(options.authThrottle.burst, options.authThrottle.perMinute);
  const server = http.createServer((req, res) => {
    handle(options, throttle, req, res).catch((error) => {
      console.error("[dealgraph] request failed:", error);
      if (!res.headersSent) send(res, 500, { "content-type": "application/json" }, JSON.stringify({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  return {
    url: `http://${host}:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function handle(options: HttpServerOptions, throttle: AuthFailureThrottle, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = requestUrl(req);
  if (!url) return sendError(res, 400, ErrorCode.BAD_USER_INPUT, "The request line is not a valid URL.");
  if (url.pathname === "/health" && (req.method === "GET" || req.method === "HEAD")) {
    const healthy = await databaseAnswers(options.db);
    return send(res, healthy ? 200 : 503, { "content-type": "application/json" }, JSON.stringify({ status: healthy ? "ok" : "unavailable" }));
  }
  if (url.pathname !== "/graphql") {
    return send(res, 404, { "content-type": "application/json" }, JSON.stringify({ error: "Not found: the API is at /graphql" }));
  }

  const address = req.socket.remoteAddress ?? "unknown";
  const wait = throttle.retryAfter(address);
  if (wait > 0) {
    return sendError(res, 429, ErrorCode.TOO_MANY_REQUESTS, "Too many failed attempts to authenticate from this address.", { "retry-after": String(wait) });
  }
  const read = req.method === "POST" ? await readJsonBody(req, options.maxBodyBytes) : { body: undefined };
  if ("problem" in read) return sendError(res, read.problem.status, read.problem.code, read.problem.message);
  const body = read.body;
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const request: HTTPGraphQLRequest = { method: req.method ?? "GET", headers, search: url.search, body };

  const execute = () =>
    options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: request,
      context: async () => {
        const viewer = await authenticate(options.db, {
          authorization: headers.get("authorization"),
          workspaceId: headers.get("x-workspace-id"),
        }).catch((error: unknown) => {
          if (error instanceof UnauthenticatedError) throttle.recordFailure(address);
          throw fromDatabaseError(error) ?? error;
        });
        return createContext(options.db, viewer);
      },
    });
  // Counting needs AsyncLocalStorage, whose promise hooks tax every promise: only when SQL_STATS asks.
  const stats = options.exposeSqlStats ? new SqlStats() : undefined;
  const response = stats ? await withSqlStats(stats, execute) : await execute();

  const outHeaders: Record<string, string> = {};
  for (const [name, value] of response.headers) outHeaders[name] = value;
  if (stats) outHeaders["x-sql-statements"] = String(stats.statements);
  if (response.body.kind === "complete") return send(res, response.status ?? 200, outHeaders, response.body.string);
  res.writeHead(response.status ?? 200, outHeaders);
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

function sendError(res: http.ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { "content-type": "application/json", ...headers }, JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
