import { ApolloServer, HeaderMap, HTTPGraphQLRequest } from "@apollo/server";
import http from "node:http";
import { AddressInfo } from "node:net";
import { DataSource } from "typeorm";
import { authenticate } from "../auth/authenticate";
import { Context, createContext } from "../context/context";
import { SqlStats, withSqlStats } from "../db/sql-stats";
import { errorAnswer, RestAnswer, RestError } from "./rest";

const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpServerOptions {
  apollo: ApolloServer<Context>;
  db: DataSource;
  port: number;
  host: string;
  /** Report each request's SQL statement count in an `x-sql-statements` header. */
  exposeSqlStats: boolean;
  /** The REST routes under /api (see rest.ts), and the OpenAPI document that describes them. */
  rest: {
    answer(method: string, pathname: string, query: URLSearchParams, headers: http.IncomingHttpHeaders, readBody: () => Promise<unknown>): Promise<RestAnswer>;
    openApi: object;
  };
}

export interface RunningHttpServer {
  url: string;
  /** For what shares the port, such as the WebSocket server (websocket.ts). */
  server: http.Server;
  close(): Promise<void>;
}

/**
 * A small HTTP front for Apollo: POST/GET /graphql, GET /health, nothing else. Node's own
 * http module keeps the per-request overhead to what Apollo itself needs.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = http.createServer((req, res) => {
    handle(options, req, res).catch((error) => {
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
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function handle(options: HttpServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname === "/health" && (req.method === "GET" || req.method === "HEAD")) {
    const healthy = await options.db.query("SELECT 1").then(() => true, () => false);
    return send(res, healthy ? 200 : 503, { "content-type": "application/json" }, JSON.stringify({ status: healthy ? "ok" : "unavailable" }));
  }
  if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return handleRest(options, req, res, url);
  if (url.pathname !== "/graphql") {
    return send(res, 404, { "content-type": "application/json" }, JSON.stringify({ error: "Not found: the API is at /graphql" }));
  }

  const body = req.method === "POST" ? await readJson(req) : undefined;
  if (body instanceof Error) {
    return send(res, 400, { "content-type": "application/json" }, JSON.stringify({ errors: [{ message: body.message, extensions: { code: "BAD_USER_INPUT" } }] }));
  }
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

/** /api: the OpenAPI document (no key needed), else the REST routes; counted like GraphQL requests. */
async function handleRest(options: HttpServerOptions, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  if (url.pathname === "/api/openapi.json" && (req.method === "GET" || req.method === "HEAD")) {
    return send(res, 200, { "content-type": "application/json" }, JSON.stringify(options.rest.openApi));
  }
  const readBody = async () => {
    const body = await readJson(req);
    if (body instanceof Error) throw new RestError(body.message.includes("larger") ? 413 : 400, "BAD_USER_INPUT", body.message);
    return body;
  };
  const run = () => options.rest.answer(req.method ?? "GET", url.pathname, url.searchParams, req.headers, readBody).catch(errorAnswer);
  const stats = options.exposeSqlStats ? new SqlStats() : undefined;
  const answer = stats ? await withSqlStats(stats, run) : await run();
  if (stats) answer.headers["x-sql-statements"] = String(stats.statements);
  return send(res, answer.status, answer.headers, answer.body);
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The parsed JSON body, or an Error saying why there is none a caller could fix. A body over the
 * limit is read to its end and discarded (up to a bound), so the answer reaches the client and
 * the keep-alive connection stays usable; past the bound the connection is cut.
 */
function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_BODY_BYTES * 16) req.destroy();
    });
    req.on("error", () => resolve(new Error("The request body could not be read.")));
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return resolve(new Error(`The request body is larger than ${MAX_BODY_BYTES} bytes.`));
      const text = Buffer.concat(chunks).toString("utf8");
      if (text === "") return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(new Error("The request body is not valid JSON."));
      }
    });
  });
}
