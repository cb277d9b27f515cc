import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";

export enum ErrorCode {
  UNAUTHENTICATED = "UNAUTHENTICATED",
  FORBIDDEN = "FORBIDDEN",
  NOT_FOUND = "NOT_FOUND",
  BAD_USER_INPUT = "BAD_USER_INPUT",
  CONFLICT = "CONFLICT",
  /** The operation is larger than the service accepts (depth, aliases, cost, body size…). */
  OPERATION_LIMIT_EXCEEDED = "OPERATION_LIMIT_EXCEEDED",
  /** Too many failed attempts to authenticate from this address: wait Retry-After seconds. */
  TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS",
  /** Retryable: the database did not answer in time or dropped the connection (see the README on retrying). */
  SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR",
}

/** The constraint of an idempotency key sent again with a different request (REST answers 422). */
export const KEY_REUSED_CONSTRAINT = "isSameRequest";

/** One offending input field: where it is, what is wrong, and the rule it broke. */
export interface FieldError {
  path: string;
  message: string;
  constraint: string;
}

/** The HTTP status a response gets when it carries an error with this code. */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.OPERATION_LIMIT_EXCEEDED]: 400,
  [ErrorCode.TOO_MANY_REQUESTS]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** Seconds a client should wait before retrying a SERVICE_UNAVAILABLE answer. */
export const RETRY_AFTER_SECONDS = 1;

/** The errors dealgraph means to show its callers. Anything else is masked. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const status = HTTP_STATUS[code];
    const http = status ? { http: { status, headers: new HeaderMap(Object.entries(headers)) } } : {};
    super(message, { extensions: { code, ...extensions, ...http } });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = "A valid API key is required: send Authorization: Bearer <key>.") {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super(ErrorCode.NOT_FOUND, `${what} ${id} was not found.`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(ErrorCode.CONFLICT, message, extensions);
  }
}

/** Which limit an operation broke: OPERATION_LIMIT_EXCEEDED with `limit` and `max`. */
export class OperationLimitError extends AppError {
  constructor(
    readonly limit: string,
    readonly max: number,
    message: string,
  ) {
    super(ErrorCode.OPERATION_LIMIT_EXCEEDED, message, { limit, max });
  }
}

/** Retryable: answered with HTTP 503 and Retry-After. */
export class ServiceUnavailableError extends AppError {
  constructor(message = "The database did not answer in time or lost the connection. Retry after a moment.") {
    super(ErrorCode.SERVICE_UNAVAILABLE, message, { retryable: true }, { "retry-after": String(RETRY_AFTER_SECONDS) });
  }
}

export class InputError extends AppError {
  readonly fields: FieldError[];
  /** `status` for an input refused before the operation runs (HTTP 400, as for a malformed query). */
  constructor(fields: FieldError[], { status }: { status?: number } = {}) {
    const summary = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
    super(ErrorCode.BAD_USER_INPUT, `Invalid input: ${summary}`, { fields, ...(status ? { http: { status } } : {}) });
    this.fields = fields;
  }
}

/** The value, or NOT_FOUND: for lookups whose miss means the id does not exist for this caller. */
export function orNotFound<T>(value: T | null | undefined, what: string, id: string): T {
  if (value === null || value === undefined) throw new NotFoundError(what, id);
  return value;
}

/** orNotFound for a value that may still be on its way (a Loader's `get`): stays synchronous when it can. */
export function required<T>(value: T | null | Promise<T | null>, what: string, id: string): T | Promise<T> {
  return value instanceof Promise ? value.then((v) => orNotFound(v, what, id)) : orNotFound(value, what, id);
}
