import net from "node:net";
import { Writable } from "node:stream";
import { startApp } from "../src/app";
import { loadConfig } from "../src/config";
import { createDataSource } from "../src/core/db/data-source";
import { createLogger } from "../src/core/observability/logger";
import { createTenant, TestUser } from "./factories";
import { useTestService } from "./support/harness";

/** A raw POST to /graphql, for the headers and the status as a client sees them. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { response, json: (await response.json()) as any };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const embedded = process.env.DEALGRAPH_TEST_EMBEDDED === "true";

describe("operators: request logs, metrics and health", () => {
  const service = useTestService();
  let user: TestUser;

  beforeAll(async () => {
    user = await createTenant(service.db);
  });

  const linesFor = (requestId: string) => service.logs.filter((l) => l.requestId === requestId);

  it("logs one line per request: its id, operation, organization, status and duration — never the key or the variables", async () => {
    const secret = "variable-value-that-must-not-be-logged";
    const { response } = await post(
      service.url,
      { query: "query WhoAmI { me { user { id } } }", operationName: "WhoAmI", variables: { note: secret } },
      { authorization: `Bearer ${user.apiKey}`, "x-request-id": "client-chosen-id.42" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("client-chosen-id.42");
    const lines = linesFor("client-chosen-id.42");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: "graphql request",
      operation: "WhoAmI",
      organizationId: user.organizationId,
      status: 200,
      durationMs: expect.any(Number),
    });
    expect(lines[0].errorCodes).toBeUndefined();
    const everything = JSON.stringify(service.logs);
    expect(everything).not.toContain(user.apiKey);
    expect(everything).not.toContain(secret);
  });

  it("makes up a request id when none (or a forged one) is sent, and echoes it", async () => {
    const plain = await post(service.url, { query: "{ __typename }" }, { authorization: `Bearer ${user.apiKey}` });
    const generated = plain.response.headers.get("x-request-id")!;
    expect(generated).toMatch(UUID);
    expect(linesFor(generated)).toHaveLength(1);

    const forged = await post(service.url, { query: "{ __typename }" }, { authorization: `Bearer ${user.apiKey}`, "x-request-id": "a b\" level=50" });
    expect(forged.response.headers.get("x-request-id")).toMatch(UUID);
  });

  it("logs the error codes of a failed request, and no organization without a valid key", async () => {
    const { response, json } = await post(service.url, { query: "query Nope { me { user { id } } }" }, { authorization: "Bearer dg_" + "x".repeat(43) });
    expect(response.status).toBe(401);
    expect(json.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    const [line] = linesFor(response.headers.get("x-request-id")!);
    expect(line).toMatchObject({ status: 401, errorCodes: ["UNAUTHENTICATED"], organizationId: null });
    expect(JSON.stringify(service.logs)).not.toContain("x".repeat(43));

    const invalid = await post(service.url, { query: "query Bad { me { shoeSize } }" }, { authorization: `Bearer ${user.apiKey}` });
    const [badLine] = linesFor(invalid.response.headers.get("x-request-id")!);
    expect(badLine).toMatchObject({ operation: "Bad", status: 400, errorCodes: ["BAD_USER_INPUT"], organizationId: user.organizationId });
  });

  it("logs a request whose client hung up before sending its body as 499, not as an error", async () => {
    const port = Number(new URL(service.url).port);
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write("POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Request-Id: hung-up-1\r\nContent-Length: 100\r\n\r\n{\"qu");
    // Hang up once the service has the request (its line appears only when the request ends).
    while ((await service.app.metrics.requestsInFlight.get()).values[0]?.value !== 1) await new Promise((r) => setTimeout(r, 10));
    socket.destroy();
    while (linesFor("hung-up-1").length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(linesFor("hung-up-1")).toEqual([expect.objectContaining({ level: 30, status: 499 })]);
  });

  it("writes readable lines in pretty mode (development's default)", () => {
    let out = "";
    const logger = createLogger({ level: "info", pretty: true, destination: new Writable({ write: (chunk, _enc, done) => ((out += chunk), done()) }) as never });
    logger.info({ requestId: "r-1", operation: "WhoAmI", status: 200 }, "graphql request");
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: graphql request\n/);
    expect(out).toContain('requestId: "r-1"');
    expect(out).not.toContain('"level"');
  });

  it("serves Prometheus metrics: durations by operation and outcome, errors by code, the pool, the process", async () => {
    await post(service.url, { query: "query CountCompanies { companies { totalCount } }" }, { authorization: `Bearer ${user.apiKey}` });
    await post(service.url, { query: "{ me { user { id } } }" }, { authorization: "Bearer nope" });
    const response = await fetch(service.url.replace("/graphql", "/metrics"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toMatch(/^dealgraph_graphql_request_duration_seconds_count\{operation="CountCompanies",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^dealgraph_graphql_request_duration_seconds_count\{operation="anonymous",outcome="client_error"\} \d+$/m);
    expect(text).toMatch(/^dealgraph_graphql_errors_total\{code="UNAUTHENTICATED"\} [1-9]\d*$/m);
    expect(text).toMatch(/^dealgraph_graphql_requests_in_flight 0$/m);
    expect(text).toMatch(/^dealgraph_db_pool_connections_total [1-9]\d*$/m);
    expect(text).toMatch(/^dealgraph_db_pool_connections_idle \d+$/m);
    expect(text).toMatch(/^dealgraph_db_pool_requests_waiting 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it("answers /health/live, and /health/ready only while no migration is pending", async () => {
    const base = service.url.replace("/graphql", "");
    expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok" });
    // The old probe stays as it was.
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: "ok" });

    // A migration the code knows and the database has not run: not ready.
    const migrations = service.db.migrations as Array<{ name?: string }>;
    migrations.push({ name: "NotYetRun9999999999999", up: async () => undefined, down: async () => undefined } as never);
    try {
      const pending = await fetch(`${base}/health/ready`);
      expect(pending.status).toBe(503);
      expect(await pending.json()).toEqual({ status: "unavailable", reason: "1 migration(s) pending" });
    } finally {
      migrations.pop();
    }
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });

  // A read-only session makes every write fail inside the resolver, as an outage would. The embedded
  // database has one session for all connections, so this runs only against a PostgreSQL server.
  (embedded ? it.skip : it)("logs an unexpected error once, at error level, with the request id and the stack", async () => {
    const readOnly = createDataSource({ url: process.env.DEALGRAPH_TEST_DATABASE_URL!, poolMax: 1 });
    (readOnly.options.extra as { options: string }).options += " -c default_transaction_read_only=on";
    await readOnly.initialize();
    const logs: Array<Record<string, any>> = [];
    const logger = createLogger({ level: "info", pretty: false, destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
    const defaults = loadConfig({});
    // No webhook worker: its own failure on the read-only database is not this request's error.
    const app = await startApp({ ...defaults, nodeEnv: "test", port: 0, host: "127.0.0.1", webhooks: { ...defaults.webhooks, worker: false } }, readOnly, { logger });
    try {
      const { response, json } = await post(
        app.url,
        { query: `mutation Add { createCompany(input: { name: "Nope Inc" }) { success } }` },
        { authorization: `Bearer ${user.apiKey}` },
      );
      expect(json.errors[0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
      const requestId = response.headers.get("x-request-id");
      const errors = logs.filter((l) => l.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ requestId, msg: "unexpected error" });
      expect(errors[0].err.stack).toContain("read-only transaction");
      // The failed INSERT's parameters are the input's values: never in the log.
      expect(JSON.stringify(logs)).not.toContain("Nope Inc");
      expect(logs.filter((l) => l.msg === "graphql request")).toEqual([
        expect.objectContaining({ requestId, operation: "Add", errorCodes: ["INTERNAL_SERVER_ERROR"] }),
      ]);
    } finally {
      await app.stop();
      await readOnly.destroy();
    }
  });
});
