import { AppError, ConflictError, ErrorCode, ServiceUnavailableError } from "./errors";

/**
 * SQLSTATE classes and codes that mean "try again": the statement or lock wait timed out, the
 * server ended or refused the session, or a transaction lost a race it can win on a retry. The
 * transaction was rolled back, unless the connection was lost while its COMMIT was on the way:
 * creates take an idempotencyKey so that even then a retry does not write twice.
 */
const RETRYABLE_SQLSTATES = new Set([
  "57014", // query_canceled: statement_timeout
  "55P03", // lock_not_available: lock_timeout
  "57P01", // admin_shutdown: pg_terminate_backend, a restart
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/**
 * node-postgres and pg-pool report a lost or unobtainable connection without a SQLSTATE; TypeORM
 * releases a transaction's query runner when its connection dies, and the transaction's next
 * statement (or its COMMIT, never sent) then fails with "Query runner already released".
 */
const RETRYABLE_MESSAGES = [
  /Query runner already released/i,
  // The same, from a unit of work's EntityManager whose connection died mid-transaction.
  /connection provided by a query runner was already released/i,
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /connection timeout/i,
  /Client has encountered a connection error/i,
  /ECONNRESET|ECONNREFUSED|EPIPE/,
];

/**
 * Values the input checks should have stopped but PostgreSQL refused: a safety net, so such a
 * value is the caller's problem (BAD_USER_INPUT) and never an internal error. The driver's text
 * names constraints and columns, so it is never passed on.
 */
const INPUT_SQLSTATES = new Set([
  "22001", // string_data_right_truncation
  "22003", // numeric_value_out_of_range
  "22007", // invalid_datetime_format
  "22008", // datetime_field_overflow
  "22021", // character_not_in_repertoire (NUL, invalid UTF-8)
  "22P05", // untranslatable_character
  "23514", // check_violation
]);

/** The error a caller should see for a database failure, or undefined when it is not one we classify. */
export function fromDatabaseError(error: unknown): AppError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code === "23505") return new ConflictError("This conflicts with a record that already exists.");
    // A deal entering a stage whose deletion committed while the write waited (see the organization-stages migration).
    if (code === "23503" && (error as { constraint?: unknown }).constraint === "pipeline_deal_stage_live") {
      return new ConflictError("The stage was deleted while this write ran: read the pipeline's stages again and retry.", { reason: "STAGE_DELETED" });
    }
    if (RETRYABLE_SQLSTATES.has(code) || code.startsWith("08")) return new ServiceUnavailableError();
    if (INPUT_SQLSTATES.has(code)) {
      return new AppError(ErrorCode.BAD_USER_INPUT, "A value in the input cannot be stored: check lengths, ranges and characters.", {
        fields: [],
      });
    }
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === "string" && RETRYABLE_MESSAGES.some((pattern) => pattern.test(message))) {
    return new ServiceUnavailableError();
  }
  return undefined;
}
