import { IncomingHttpHeaders } from "node:http";
import { DataSource } from "typeorm";
import { authenticate } from "../auth/authenticate";
import { Context, createContext } from "../context/context";
import { fromDatabaseError } from "../errors/database-errors";
import { AppError, ErrorCode, FieldError, HTTP_STATUS, InputError, KEY_REUSED_CONSTRAINT, RETRY_AFTER_SECONDS } from "../errors/errors";

/** What a REST route handler gets: the caller's context, the path parameters, the query and the JSON body. */
export interface RestRequest {
  ctx: Context;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface RestResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RestRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Such as /api/referral-opps/:id/stage. */
  path: string;
  handle(request: RestRequest): Promise<RestResponse>;
}

/** A REST error answer; thrown by a handler (or made from an AppError) and shaped in one place. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
    readonly headers: Record<string, string> = {},
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The HTTP status of each error code: GraphQL's (errors.ts), plus the ones GraphQL answers 200 for. */
const STATUS: Record<string, number> = {
  ...HTTP_STATUS,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
};

interface CompiledRoute extends RestRoute {
  pattern: RegExp;
  names: string[];
}

export interface RestAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** For the request log: the route matched, the caller's organization, the error code. */
  route?: string;
  organizationId?: string;
  errorCode?: string;
  /** An unexpected error the answer masks, for the caller to log once. */
  unexpected?: unknown;
}

/**
 * The REST front: matches a route, authenticates exactly as GraphQL does, reads the JSON body,
 * runs the handler and shapes every error as `{ success: false, message, error: { code, fields } }`.
 * Handlers are thin adapters over the same commands the GraphQL mutations call.
 */
export function createRestRouter(routes: RestRoute[], db: DataSource) {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/:([a-zA-Z]+)/g, (_match, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    return { ...route, pattern: new RegExp(`^${source}/?$`), names };
  });

  return async function answer(
    method: string,
    pathname: string,
    query: URLSearchParams,
    headers: IncomingHttpHeaders,
    readBody: () => Promise<unknown>,
  ): Promise<RestAnswer> {
    let matched: string | undefined;
    let organizationId: string | undefined;
    try {
      const matching = compiled.filter((route) => route.pattern.test(pathname));
      if (matching.length === 0) throw new RestError(404, ErrorCode.NOT_FOUND, `No route ${pathname}: see GET /api/openapi.json.`);
      const route = matching.find((r) => r.method === method);
      if (!route) {
        const allow = [...new Set(matching.map((r) => r.method))].join(", ");
        throw new RestError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on ${pathname}; use ${allow}.`, undefined, { allow });
      }
      matched = `${route.method} ${route.path}`;
      const values = route.pattern.exec(pathname)!.slice(1);
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(values[i])]));
      let body: unknown;
      if (method === "POST" || method === "PATCH") {
        const type = String(headers["content-type"] ?? "");
        if (!/^application\/json\b/i.test(type)) {
          throw new RestError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON, with Content-Type: application/json.");
        }
        body = await readBody();
      }
      const viewer = await authenticate(db, {
        authorization: headers.authorization,
        workspaceId: typeof headers["x-workspace-id"] === "string" ? headers["x-workspace-id"] : undefined,
      });
      organizationId = viewer.organizationId;
      const response = await route.handle({ ctx: createContext(db, viewer), params, query, body, headers });
      return {
        status: response.status,
        headers: { "content-type": "application/json", ...response.headers },
        body: JSON.stringify(response.body),
        route: matched,
        organizationId,
      };
    } catch (error) {
      return { ...errorAnswer(error), route: matched, organizationId };
    }
  };
}

/** Any error as the REST error envelope; an unexpected one is masked, as GraphQL masks it. */
export function errorAnswer(thrown: unknown): RestAnswer {
  // A database error a caller can act on (a timeout to retry, a value refused) is said as such.
  const error = thrown instanceof AppError || thrown instanceof RestError ? thrown : (fromDatabaseError(thrown) ?? thrown);
  let rest: RestError;
  if (error instanceof RestError) rest = error;
  else if (error instanceof InputError) {
    // An idempotency key sent again with another request is 422, as Stripe and the IETF draft answer.
    const status = error.fields.some((f) => f.constraint === KEY_REUSED_CONSTRAINT) ? 422 : 400;
    rest = new RestError(status, ErrorCode.BAD_USER_INPUT, error.message.replace(/\binput\./g, ""), error.fields.map(withoutInputPrefix));
  } else if (error instanceof AppError) {
    const code = String(error.extensions.code);
    const { code: _code, http: _http, ...extensions } = error.extensions as Record<string, unknown>;
    const retry: Record<string, string> = code === ErrorCode.SERVICE_UNAVAILABLE ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};
    rest = new RestError(STATUS[code] ?? 500, code, error.message, undefined, retry, extensions);
  } else {
    rest = new RestError(500, ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error");
  }
  const { extensions } = rest;
  return {
    errorCode: rest.code,
    unexpected: rest.code === ErrorCode.INTERNAL_SERVER_ERROR ? error : undefined,
    status: rest.status,
    headers: { "content-type": "application/json", ...rest.headers },
    body: JSON.stringify({
      success: false,
      message: rest.message,
      error: { code: rest.code, ...(rest.fields ? { fields: rest.fields } : {}), ...extensions },
    }),
  };
}

/** REST bodies are the input itself: `input.seekerId` is just `seekerId` there. */
function withoutInputPrefix(field: FieldError): FieldError {
  return { ...field, path: field.path.replace(/^input\./, "") };
}

/** The `data` of a GraphQL answer, or the AppError it carried. */
export function graphQLData<T>(result: { data?: unknown; errors?: readonly unknown[] }): T {
  const [error] = result.errors ?? [];
  if (error) throw (error as { originalError?: unknown }).originalError ?? error;
  return result.data as T;
}
