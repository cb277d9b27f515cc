import http from "node:http";
import { Lifecycle } from "./health";

/**
 * Graceful stop for a node:http server: stop accepting connections, close idle keep-alive
 * sockets at once, let every request already received finish (its response carries
 * `Connection: close`), and destroy what is still open after `timeoutMs`. Resolves when the last
 * connection is gone.
 */
export function drain(server: http.Server, lifecycle: Lifecycle, responses: Set<http.ServerResponse>, timeoutMs: number): Promise<void> {
  lifecycle.draining = true;
  // Responses being prepared end their connection, so their clients send nothing more on it.
  for (const res of responses) if (!res.headersSent) res.setHeader("connection", "close");
  return new Promise<void>((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    // A response whose headers left before the drain began keeps its connection alive; the socket
    // turns idle when it ends, and is closed on the next sweep.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close((error) => {
      clearTimeout(force);
      clearInterval(sweep);
      // Already closed by an earlier call: nothing left to wait for.
      if (error && (error as NodeJS.ErrnoException).code !== "ERR_SERVER_NOT_RUNNING") reject(error);
      else resolve();
    });
    // A socket between two requests has nothing in flight; waiting for its keep-alive timeout
    // would hold the shutdown for a minute.
    server.closeIdleConnections();
  });
}

/** The responses not yet finished, so a drain can mark them `Connection: close`. */
export function trackResponses(server: http.Server): Set<http.ServerResponse> {
  const responses = new Set<http.ServerResponse>();
  server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
    responses.add(res);
    res.once("close", () => responses.delete(res));
  });
  return responses;
}

/** A request that arrives on a kept-alive connection during the drain is answered, then its connection closed. */
export function closeConnectionWhenDraining(lifecycle: Lifecycle, res: http.ServerResponse): void {
  if (lifecycle.draining) res.setHeader("connection", "close");
}
