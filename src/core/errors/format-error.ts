import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLFormattedError } from "graphql";
import { fromDatabaseError } from "./database-errors";
import { ErrorCode, OperationLimitError } from "./errors";

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** Apollo's own codes for requests it cannot run, reported in dealgraph's closed set. */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

/** graphql-js's own parser limit (Apollo's parseOptions.maxTokens) reports itself as a syntax error ("more that" in 16.x). */
const TOKEN_LIMIT = /Document contains more tha[nt] (\d+) tokens/;

/**
 * The one place errors are shaped for callers. Every error leaves with a code from ErrorCode;
 * anything unexpected becomes INTERNAL_SERVER_ERROR with no internals (stack, SQL, driver text)
 * unless `exposeErrors` (EXPOSE_ERRORS=true in development) asks for its message.
 */
export function createErrorFormatter({ exposeErrors }: { exposeErrors: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);

    // A limit checked during validation arrives wrapped in Apollo's GRAPHQL_VALIDATION_FAILED.
    const limit = original instanceof OperationLimitError ? original : (original as { originalError?: unknown })?.originalError;
    if (limit instanceof OperationLimitError) {
      return { message: limit.message, locations: formatted.locations, extensions: { code: ErrorCode.OPERATION_LIMIT_EXCEEDED, limit: limit.limit, max: limit.max } };
    }
    const tokens = formatted.extensions?.code === "GRAPHQL_PARSE_FAILED" ? TOKEN_LIMIT.exec(formatted.message) : null;
    if (tokens) {
      return {
        message: `The operation has more than ${tokens[1]} tokens.`,
        extensions: { code: ErrorCode.OPERATION_LIMIT_EXCEEDED, limit: "tokens", max: Number(tokens[1]) },
      };
    }

    const code = formatted.extensions?.code as string | undefined;
    if (code && KNOWN_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (code && REQUEST_ERROR_CODES.has(code)) {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } };
    }
    // A unique index settled a race that the services' own checks could not see coming; a
    // timeout or a lost connection is retryable; a value PostgreSQL refused is the caller's.
    const database = fromDatabaseError(original);
    if (database) {
      const { http: _http, ...extensions } = database.extensions;
      return { message: database.message, locations: formatted.locations, path: formatted.path, extensions };
    }

    // Logged once, with the request id and the stack, by the request observer (not here, where the
    // request is unknown).
    return {
      message: exposeErrors && original instanceof Error ? original.message : "Internal server error",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}


/**
 * True for an error the formatter masks as INTERNAL_SERVER_ERROR: a bug or an outage, worth a log
 * line with its stack. The same rules as the formatter's, read from the error before formatting.
 */
export function isUnexpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof OperationLimitError || (original as { originalError?: unknown })?.originalError instanceof OperationLimitError) {
    return false;
  }
  const code = ((error as { extensions?: { code?: unknown } })?.extensions?.code ??
    (original as { extensions?: { code?: unknown } })?.extensions?.code) as string | undefined;
  if (code && KNOWN_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) return false;
  if (code && REQUEST_ERROR_CODES.has(code)) return false;
  return fromDatabaseError(original) === undefined;
}
