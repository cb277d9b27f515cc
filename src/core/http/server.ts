import { ApolloServer, HeaderMap, HTTPGraphQLRequest } from "@apollo/server";
import http from "node:http";
import { AddressInfo } from "node:net";
import { DataSource } from "typeorm";
import { authenticate } from "../auth/authenticate";
import { Context, createContext } from "../context/context";
import { SqlStats, withSqlStats } from "../db/sql-stats";
import { isUnexpectedError } from "../errors/format-error";
import { Metrics } from "../observability/metrics";
import { RequestObserver, RequestRecord } from "../observability/request-observer";
import { CorsPolicy } from "./cors";
import { handleHealth, Lifecycle } from "./health";
import { handlePlayground } from "./playground";
import { closeConnectionWhenDraining, drain, trackResponses } from "./shutdown";
import { errorAnswer, RestAnswer, RestError } from "./rest";

const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpServerOptions {
  apollo: ApolloServer<Context>;
  db: DataSource;
  port: number;
  host: string;
  /** Report each request's SQL statement count in an `x-sql-statements` header. */
  exposeSqlStats: boolean;
  observer: RequestObserver;
  cors: CorsPolicy;
  /** How long stop() lets requests in flight finish before closing their connections. */
  shutdownTimeoutMs: number;
  /** Serve the GraphiQL playground to browsers on GET /graphql. */
  playground: boolean;
  /** The REST routes under /api (see rest.ts), and the OpenAPI document that describes them. */
  rest: {
    answer(method: string, pathname: string, query: URLSearchParams, headers: http.IncomingHttpHeaders, readBody: () => Promise<unknown>): Promise<RestAnswer>;
    openApi: object;
  };
}

export interface RunningHttpServer {
  url: string;
  /** Drains: refuses new connections, answers the requests already received, then resolves. */
  close(): Promise<void>;
  /** True from the moment close() is called. */
  lifecycle: Lifecycle;
}

/**
 * A small HTTP front for Apollo: POST/GET /graphql, the health probes and /metrics, nothing else.
 * Node's own http module keeps the per-request overhead to what Apollo itself needs.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const lifecycle: Lifecycle = { draining: false };
  const server = http.createServer((req, res) => {
    handle(options, lifecycle, req, res).catch((error) => {
      options.observer.unexpected(undefined, error);
      sendInternalError(res);
    });
  });
  server.keepAliveTimeout = 65_000;
  const responses = trackResponses(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/graphql`,
    lifecycle,
    close: () => (closing ??= drain(server, lifecycle, responses, options.shutdownTimeoutMs)),
  };
}

async function handle(options: HttpServerOptions, lifecycle: Lifecycle, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  closeConnectionWhenDraining(lifecycle, res);
  if (options.cors.handle(req, res)) return;
  const url = new URL(req.url ?? "/", "http://localhost");
  if (await handleHealth(options.db, lifecycle, req, res, url.pathname)) return;
  if (url.pathname === "/metrics" && req.method === "GET") return sendMetrics(options.observer.metrics, res);
  if (options.playground && handlePlayground(req, res, url.pathname)) return;
  if (url.pathname === "/health" && (req.method === "GET" || req.method === "HEAD")) {
    const healthy = await options.db.query("SELECT 1").then(() => true, () => false);
    return send(res, healthy ? 200 : 503, { "content-type": "application/json" }, JSON.stringify({ status: healthy ? "ok" : "unavailable" }));
  }
  if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return handleRest(options, req, res, url);
  if (url.pathname !== "/graphql") {
    return send(res, 404, { "content-type": "application/json" }, JSON.stringify({ error: "Not found: the API is at /graphql" }));
  }

  const record = options.observer.begin(headerValue(req.headers["x-request-id"]));
  res.setHeader("x-request-id", record.id);
  let status = 500;
  let errorBody: string | undefined;
  try {
    ({ status, errorBody } = await handleGraphQL(options, req, res, url, record));
  } catch (error) {
    // The client hung up before its request was read: nothing to answer, and not our failure.
    if (!req.complete && (req.destroyed || (error as NodeJS.ErrnoException).code === "ECONNRESET")) {
      status = CLIENT_CLOSED_REQUEST;
      res.destroy();
      return;
    }
    options.observer.unexpected(record, error);
    status = 500;
    sendInternalError(res);
  } finally {
    options.observer.finish(record, status, errorBody);
  }
}

/** The status logged for a request whose client went away first (nginx's convention; never sent). */
const CLIENT_CLOSED_REQUEST = 499;

/** Runs one GraphQL request; returns its status and, for a failure, the (small) body for the log. */
async function handleGraphQL(
  options: HttpServerOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  record: RequestRecord,
): Promise<{ status: number; errorBody?: string }> {
  const body = req.method === "POST" ? await readJson(req) : undefined;
  if (body instanceof Error) {
    const text = JSON.stringify({ errors: [{ message: body.message, extensions: { code: "BAD_USER_INPUT" } }] });
    send(res, 400, { "content-type": "application/json" }, text);
    return { status: 400, errorBody: text };
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const request: HTTPGraphQLRequest = { method: req.method ?? "GET", headers, search: url.search, body };
  options.observer.attach(request, record);

  const execute = () =>
    options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: request,
      context: async () => {
        try {
          const viewer = await authenticate(options.db, {
            authorization: headers.get("authorization"),
            workspaceId: headers.get("x-workspace-id"),
          });
          record.organizationId = viewer.organizationId;
          return createContext(options.db, viewer);
        } catch (error) {
          // Apollo answers a failed context without calling the plugins that log: log it here.
          if (isUnexpectedError(error)) options.observer.unexpected(record, error);
          throw error;
        }
      },
    });
  // Counting needs AsyncLocalStorage, whose promise hooks tax every promise: only when SQL_STATS asks.
  const stats = options.exposeSqlStats ? new SqlStats() : undefined;
  const response = stats ? await withSqlStats(stats, execute) : await execute();

  const outHeaders: Record<string, string> = {};
  for (const [name, value] of response.headers) outHeaders[name] = value;
  if (stats) outHeaders["x-sql-statements"] = String(stats.statements);
  const status = response.status ?? 200;
  if (response.body.kind === "complete") {
    send(res, status, outHeaders, response.body.string);
    return { status, errorBody: status >= 400 ? response.body.string : undefined };
  }
  res.writeHead(status, outHeaders);
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
  return { status };
}

async function sendMetrics(metrics: Metrics, res: http.ServerResponse): Promise<void> {
  const text = await metrics.registry.metrics();
  send(res, 200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }, text);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sendInternalError(res: http.ServerResponse): void {
  if (res.headersSent) return void res.destroy();
  send(res, 500, { "content-type": "application/json" }, JSON.stringify({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] }));
}

/** /api: the OpenAPI document (no key needed), else the REST routes; counted like GraphQL requests. */
async function handleRest(options: HttpServerOptions, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  if (url.pathname === "/api/openapi.json" && (req.method === "GET" || req.method === "HEAD")) {
    return send(res, 200, { "content-type": "application/json" }, JSON.stringify(options.rest.openApi));
  }
  const readBody = async () => {
    const body = await readJson(req).catch(() => new Error("The request body could not be read."));
    if (body instanceof Error) throw new RestError(body.message.includes("larger") ? 413 : 400, "BAD_USER_INPUT", body.message);
    return body;
  };
  const record = options.observer.begin(headerValue(req.headers["x-request-id"]));
  res.setHeader("x-request-id", record.id);
  const run = () => options.rest.answer(req.method ?? "GET", url.pathname, url.searchParams, req.headers, readBody).catch(errorAnswer);
  const stats = options.exposeSqlStats ? new SqlStats() : undefined;
  const answer = stats ? await withSqlStats(stats, run) : await run();
  if (stats) answer.headers["x-sql-statements"] = String(stats.statements);
  record.operationName = answer.route ? `REST ${answer.route}` : "REST";
  record.organizationId = answer.organizationId;
  if (answer.errorCode) record.errorCodes = [answer.errorCode];
  if (answer.unexpected) options.observer.unexpected(record, answer.unexpected);
  if (!req.complete && req.destroyed) {
    // The client hung up before its request was read: nothing to answer, and not our failure.
    res.destroy();
    return options.observer.finish(record, CLIENT_CLOSED_REQUEST);
  }
  send(res, answer.status, answer.headers, answer.body);
  options.observer.finish(record, answer.status);
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
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_BODY_BYTES * 16) req.destroy();
    });
    // The client went away mid-body: the caller sees the error (and logs a 499, answering nobody).
    req.on("error", reject);
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
