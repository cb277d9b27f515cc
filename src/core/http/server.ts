import { ApolloServer, HeaderMap, HTTPGraphQLRequest } from "@apollo/server";
import http from "node:http";
import { AddressInfo } from "node:net";
import { DataSource } from "typeorm";
import { authenticate } from "../auth/authenticate";
import { Context, createContext } from "../context/context";
import { SqlStats, withSqlStats } from "../db/sql-stats";
import { fromDatabaseError } from "../errors/database-errors";
import { ErrorCode, UnauthenticatedError } from "../errors/errors";
import { isUnexpectedError } from "../errors/format-error";
import { Metrics } from "../observability/metrics";
import { RequestObserver, RequestRecord } from "../observability/request-observer";
import { CorsPolicy } from "./cors";
import { handleHealth, Lifecycle } from "./health";
import { handlePlayground } from "./playground";
import { closeConnectionWhenDraining, drain, trackResponses } from "./shutdown";
import { databaseAnswers, readJsonBody, requestUrl } from "./limits";
import { errorAnswer, RestAnswer, RestError } from "./rest";
import { AuthFailureThrottle } from "./throttle";

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
  /** Largest request body accepted (413 above). */
  maxBodyBytes: number;
  authThrottle: { burst: number; perMinute: number };
}

export interface RunningHttpServer {
  url: string;
  /** For what shares the port, such as the WebSocket server (websocket.ts). */
  server: http.Server;
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
  const throttle = new AuthFailureThrottle(options.authThrottle.burst, options.authThrottle.perMinute);
  const server = http.createServer((req, res) => {
    handle(options, lifecycle, throttle, req, res).catch((error) => {
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
    server,
    close: () => (closing ??= drain(server, lifecycle, responses, options.shutdownTimeoutMs)),
  };
}

async function handle(
  options: HttpServerOptions,
  lifecycle: Lifecycle,
  throttle: AuthFailureThrottle,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  closeConnectionWhenDraining(lifecycle, res);
  if (options.cors.handle(req, res)) return;
  const url = requestUrl(req);
  if (!url) return void sendError(res, 400, ErrorCode.BAD_USER_INPUT, "The request line is not a valid URL.");
  if (await handleHealth(options.db, lifecycle, req, res, url.pathname)) return;
  if (url.pathname === "/metrics" && req.method === "GET") return sendMetrics(options.observer.metrics, res);
  if (options.playground && handlePlayground(req, res, url.pathname)) return;
  if (url.pathname === "/health" && (req.method === "GET" || req.method === "HEAD")) {
    const healthy = await databaseAnswers(options.db);
    return send(res, healthy ? 200 : 503, { "content-type": "application/json" }, JSON.stringify({ status: healthy ? "ok" : "unavailable" }));
  }
  const api = url.pathname === "/api" || url.pathname.startsWith("/api/");
  if (!api && url.pathname !== "/graphql") {
    return send(res, 404, { "content-type": "application/json" }, JSON.stringify({ error: "Not found: the API is at /graphql" }));
  }
  // An address that keeps failing to authenticate waits before it may try again.
  const address = req.socket.remoteAddress ?? "unknown";
  const wait = throttle.retryAfter(address);
  if (wait > 0) {
    return void sendError(res, 429, ErrorCode.TOO_MANY_REQUESTS, "Too many failed attempts to authenticate from this address.", {
      "retry-after": String(wait),
    });
  }
  if (api) return handleRest(options, throttle, address, req, res, url);

  const record = options.observer.begin(headerValue(req.headers["x-request-id"]));
  res.setHeader("x-request-id", record.id);
  let status = 500;
  let errorBody: string | undefined;
  try {
    ({ status, errorBody } = await handleGraphQL(options, throttle, address, req, res, url, record));
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
  throttle: AuthFailureThrottle,
  address: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  record: RequestRecord,
): Promise<{ status: number; errorBody?: string }> {
  const read = req.method === "POST" ? await readJsonBody(req, options.maxBodyBytes) : { body: undefined };
  if ("problem" in read) {
    const text = sendError(res, read.problem.status, read.problem.code, read.problem.message);
    return { status: read.problem.status, errorBody: text };
  }
  const body = read.body;
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
          if (error instanceof UnauthenticatedError) throttle.recordFailure(address);
          // Apollo answers a failed context without calling the plugins that log: log it here.
          if (isUnexpectedError(error)) options.observer.unexpected(record, error);
          throw fromDatabaseError(error) ?? error;
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
  sendError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
}

/** /api: the OpenAPI document (no key needed), else the REST routes; counted like GraphQL requests. */
async function handleRest(
  options: HttpServerOptions,
  throttle: AuthFailureThrottle,
  address: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  if (url.pathname === "/api/openapi.json" && (req.method === "GET" || req.method === "HEAD")) {
    return send(res, 200, { "content-type": "application/json" }, JSON.stringify(options.rest.openApi));
  }
  const readBody = async () => {
    const read = await readJsonBody(req, options.maxBodyBytes).catch(() => ({
      problem: { status: 400, code: ErrorCode.BAD_USER_INPUT, message: "The request body could not be read." },
    }));
    if ("problem" in read) throw new RestError(read.problem.status, read.problem.code, read.problem.message);
    return read.body;
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
  if (answer.errorCode === ErrorCode.UNAUTHENTICATED) throttle.recordFailure(address);
  if (answer.unexpected) options.observer.unexpected(record, answer.unexpected);
  if (!req.complete && req.destroyed) {
    // The client hung up before its request was read: nothing to answer, and not our failure.
    res.destroy();
    return options.observer.finish(record, CLIENT_CLOSED_REQUEST);
  }
  send(res, answer.status, answer.headers, answer.body);
  options.observer.finish(record, answer.status);
}

/** An error answer in GraphQL's shape, for requests refused before GraphQL runs; returns the body. */
function sendError(res: http.ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): string {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  send(res, status, { "content-type": "application/json", ...headers }, body);
  return body;
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

