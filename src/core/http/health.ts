import http from "node:http";
import { DataSource } from "typeorm";

/** Shared between the HTTP front and the shutdown: once draining, the service is not ready. */
export interface Lifecycle {
  draining: boolean;
}

/** A readiness probe that outlives this is a failed one: the database is not answering in time. */
const READY_TIMEOUT_MS = 2_000;

/**
 * GET /health/live: the process answers. GET /health/ready: the database answers a query on a real
 * table, no migration is pending, and no shutdown has begun (a balancer then stops sending traffic).
 * Returns false for any other path.
 */
export async function handleHealth(
  db: DataSource,
  lifecycle: Lifecycle,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (pathname === "/health/live") {
    sendJson(res, 200, { status: "ok" });
    return true;
  }
  if (pathname !== "/health/ready") return false;
  if (lifecycle.draining) {
    sendJson(res, 503, { status: "shutting down" });
    return true;
  }
  const problem = await readinessProblem(db);
  sendJson(res, problem ? 503 : 200, problem ? { status: "unavailable", reason: problem } : { status: "ok" });
  return true;
}

/** Why the service is not ready, or null. One query: the migrations table, compared with the code's list. */
async function readinessProblem(db: DataSource): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), READY_TIMEOUT_MS)));
  try {
    const rows = await Promise.race([db.query(`SELECT name FROM typeorm_migrations`) as Promise<Array<{ name: string }>>, timeout]);
    if (rows === "timeout") return "the database did not answer in time";
    const applied = new Set(rows.map((r) => r.name));
    const pending = db.migrations.filter((m) => !applied.has(m.name ?? m.constructor.name));
    return pending.length > 0 ? `${pending.length} migration(s) pending` : null;
  } catch {
    return "the database is not answering";
  } finally {
    clearTimeout(timer);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
