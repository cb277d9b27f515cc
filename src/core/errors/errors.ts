import { GraphQLError } from "graphql";

export enum ErrorCode {
  UNAUTHENTICATED = "UNAUTHENTICATED",
  FORBIDDEN = "FORBIDDEN",
  NOT_FOUND = "NOT_FOUND",
  BAD_USER_INPUT = "BAD_USER_INPUT",
  CONFLICT = "CONFLICT",
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

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
};

/** The errors dealgraph means to show its callers. Anything else is masked. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    const status = HTTP_STATUS[code];
    super(message, { extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) } });
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

export class InputError extends AppError {
  readonly fields: FieldError[];
  constructor(fields: FieldError[]) {
    const summary = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
    super(ErrorCode.BAD_USER_INPUT, `Invalid input: ${summary}`, { fields });
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
