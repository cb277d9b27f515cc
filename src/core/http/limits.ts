import http from "node:http";
import { DataSource } from "typeorm";
import { ErrorCode } from "../errors/errors";

/** The request's URL, or null when its request line cannot be one (`GET //[`): a 400, not a crash. */
export function requestUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? "/", "http://localhost");
  } catch {
    return null;
  }
}

export type BodyProblem = { status: number; message: string; code: ErrorCode };

/** The parsed JSON body, or the problem a caller could fix: too large (413) or not JSON (400). */
export async function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<{ body: unknown } | { problem: BodyProblem }> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Not read at all: drained, so that the answer reaches the client before the connection ends.
    req.resume();
    return { problem: tooLarge(maxBytes) };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Over the limit, the rest is read and dropped: leaving the loop would reset the connection.
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  if (size > maxBytes) return { problem: tooLarge(maxBytes) };
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return { body: undefined };
  try {
    return { body: JSON.parse(text) };
  } catch {
    return { problem: { status: 400, message: "The request body is not valid JSON.", code: ErrorCode.BAD_USER_INPUT } };
  }
}

function tooLarge(maxBytes: number): BodyProblem {
  return { status: 413, message: `The request body is larger than ${maxBytes} bytes.`, code: ErrorCode.OPERATION_LIMIT_EXCEEDED };
}

/** How long /health waits for the database before it answers 503. */
export const HEALTH_TIMEOUT_MS = 1000;

/**
 * True when the database answers a trivial query in time. Bounded, so /health answers within a
 * second even when every pooled connection is held (the query then waits in the pool's queue).
 */
export function databaseAnswers(db: DataSource, timeoutMs = HEALTH_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    db.query("SELECT 1").then(
      () => resolve(true),
      () => resolve(false),
    ).finally(() => clearTimeout(timer));
  });
}
