import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLFormattedError } from "graphql";
import { ErrorCode } from "./errors";

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

/**
 * The one place errors are shaped for callers. Every error leaves with a code from ErrorCode;
 * anything unexpected becomes INTERNAL_SERVER_ERROR with no internals (stack, SQL, driver text)
 * unless the service runs in development.
 */
export function createErrorFormatter({ development }: { development: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);

    const code = formatted.extensions?.code as string | undefined;
    if (code && KNOWN_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (code && REQUEST_ERROR_CODES.has(code)) {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } };
    }
    // A unique index settled a race that the services' own checks could not see coming.
    if (isUniqueViolation(original)) {
      return {
        message: "This conflicts with a record that already exists.",
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: ErrorCode.CONFLICT },
      };
    }

    // Logged once, with the request id and the stack, by the request observer (not here, where the
    // request is unknown).
    return {
      message: development && original instanceof Error ? original.message : "Internal server error",
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
  const code = ((error as { extensions?: { code?: unknown } })?.extensions?.code ??
    (original as { extensions?: { code?: unknown } })?.extensions?.code) as string | undefined;
  if (code && KNOWN_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) return false;
  if (code && REQUEST_ERROR_CODES.has(code)) return false;
  return !isUniqueViolation(original);
}

/** PostgreSQL's unique_violation (SQLSTATE 23505), as TypeORM's QueryFailedError carries it. */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}
