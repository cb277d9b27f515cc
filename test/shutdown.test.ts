import net from "node:net";
import { RunningApp, startApp } from "../src/app";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/core/observability/logger";
import { createTenant, TestUser } from "./factories";
import { useTestService } from "./support/harness";

/** A raw HTTP/1.1 client connection: what it received, and when the server closed it. */
function open(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const connected = new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  return { socket, connected, closed, received: () => received };
}

/** Resolves with `value`, or rejects once `ms` have passed: the bound of a "within N s" assertion. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms))),
  ]);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  await within(5_000, (async () => { while (!condition()) await new Promise((r) => setTimeout(r, 10)); })(), what);
}

describe("shutdown: draining on SIGTERM", () => {
  const service = useTestService();
  let user: TestUser;

  beforeAll(async () => {
    user = await createTenant(service.db);
  });

  const start = (shutdownTimeoutMs: number) =>
    startApp({ ...loadConfig({}), nodeEnv: "test", port: 0, host: "127.0.0.1", shutdownTimeoutMs }, service.db, { logger: silentLogger });
  const portOf = (app: RunningApp) => Number(new URL(app.url).port);
  /** Waits until the service has received `count` requests it has not answered yet. */
  const inFlight = (app: RunningApp, count: number) =>
    within(5_000, (async () => {
      while (((await app.metrics.requestsInFlight.get()).values[0]?.value ?? 0) !== count) await new Promise((r) => setTimeout(r, 10));
    })(), `${count} requests in flight`);

  /** A POST /graphql whose headers are sent and whose body is held back: a request received, not yet answered. */
  function halfSent(port: number) {
    const client = open(port);
    const body = JSON.stringify({ query: "{ me { user { id } } }" });
    const cut = 10;
    void client.connected.then(() =>
      client.socket.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${user.apiKey}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, cut)}`,
      ),
    );
    return { ...client, finish: () => client.socket.write(body.slice(cut)) };
  }

  it("answers every request received before the signal, closes idle keep-alive sockets at once and refuses new connections", async () => {
    const app = await start(5_000);
    const port = portOf(app);

    // An idle keep-alive connection: one request answered, the socket left open.
    const idle = open(port);
    await idle.connected;
    idle.socket.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await until(() => idle.received().includes('{"status":"ok"}'), "the first answer");
    expect(idle.received()).toMatch(/connection: keep-alive/i);

    const first = halfSent(port);
    const second = halfSent(port);
    await inFlight(app, 2);

    const stopping = app.stop();
    expect(app.lifecycle.draining).toBe(true);
    await within(1_000, idle.closed, "closing the idle connection");

    const late = open(port);
    await expect(late.connected).rejects.toMatchObject({ code: "ECONNREFUSED" });

    first.finish();
    second.finish();
    await within(5_000, Promise.all([first.closed, second.closed]), "answering the requests in flight");
    for (const client of [first, second]) {
      expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(client.received()).toMatch(/connection: close/i);
      expect(client.received()).toContain(`{"data":{"me":{"user":{"id":"${user.userId}"}}}}`);
    }
    await within(2_000, stopping, "the drain");
  });

  it("force-closes what is still open after SHUTDOWN_TIMEOUT_MS", async () => {
    const app = await start(300);
    const stuck = halfSent(portOf(app));
    await inFlight(app, 1);
    await within(3_000, app.stop(), "the drain with a stuck client");
    await within(1_000, stuck.closed, "closing the stuck connection");
  });

  it("answers /health/ready with 503 and Connection: close once draining", async () => {
    const ready = () => fetch(service.url.replace("/graphql", "/health/ready"));
    expect((await ready()).status).toBe(200);
    service.app.lifecycle.draining = true;
    try {
      const draining = await ready();
      expect(draining.status).toBe(503);
      expect(draining.headers.get("connection")).toBe("close");
      expect(await draining.json()).toEqual({ status: "shutting down" });
    } finally {
      service.app.lifecycle.draining = false;
    }
  });
});
