import http from "node:http";
import { AddressInfo } from "node:net";

/** One POST a receiver got, and what it answered. */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1. `answer` decides each status from the request and
 * how many times the same event (idempotency-key) came before; `hold` may keep a request waiting.
 */
export async function startReceiver(
  answer: (request: { path: string; eventId: string; tries: number; body: string }) => number = () => 200,
  options: { hold?: (path: string) => Promise<void> } = {},
) {
  const received: Received[] = [];
  const tries = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      const eventId = String(req.headers["idempotency-key"]);
      const key = `${path} ${eventId}`;
      const seen = tries.get(key) ?? 0;
      tries.set(key, seen + 1);
      await options.hold?.(path);
      const status = answer({ path, eventId, tries: seen, body });
      received.push({ path, headers: req.headers, body, answered: status });
      res.writeHead(status, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    /** The bodies answered 2xx at `path`, parsed, in arrival order. */
    accepted: (path: string) => received.filter((r) => r.path === path && r.answered < 300).map((r) => JSON.parse(r.body)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `check` answers a truthy value, polling; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
