import { ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** Starts the built service on a fresh embedded database, as `npm start` does, and reads what it prints. */
function start(dataDir: string) {
  const child = spawn(process.execPath, ["dist/src/main.js"], {
    env: { ...process.env, DATABASE_URL: "", DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "test" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const ready = new Promise<{ url: string; key: string; output: string }>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const url = /GraphQL: (\S+)/.exec(output)?.[1];
      const key = /Demo API key: (\S+)/.exec(output)?.[1];
      if (url && key) resolve({ url, key, output });
    });
    child.on("exit", (code) => reject(new Error(`the service exited with ${code}:\n${output}`)));
  });
  return { child, ready };
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("smoke: the service on the embedded database", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dealgraph-smoke-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("migrates, seeds a demo organization, answers with the printed key, and stops cleanly", async () => {
    const first = start(dataDir);
    const { url, key, output } = await first.ready;
    expect(output).toContain("Seeded the demo organization");
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: "{ me { organization { name } } companies { totalCount } }" }),
    });
    expect(await response.json()).toEqual({ data: { me: { organization: { name: "Demo Organization" } }, companies: { totalCount: 3 } } });
    expect(fs.existsSync(path.join(dataDir, "embedded.lock"))).toBe(true);

    // A request received before SIGTERM (headers sent, body held back) is still answered after it.
    const port = Number(new URL(url).port);
    const inFlight = net.connect(port, "127.0.0.1");
    let answer = "";
    inFlight.on("data", (chunk) => (answer += chunk));
    const answered = new Promise<void>((resolve) => inFlight.once("close", () => resolve()));
    const body = JSON.stringify({ query: "{ companies { totalCount } }" });
    await new Promise<void>((resolve) => inFlight.once("connect", () => resolve()));
    inFlight.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    // The service logs nothing for the request until it is answered: wait for its metrics to count it.
    for (;;) {
      const metrics = await (await fetch(url.replace("/graphql", "/metrics"))).text();
      if (/^dealgraph_graphql_requests_in_flight 1$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const exitCode = stopped(first.child);
    const draining = new Promise<void>((resolve) => {
      let printed = "";
      first.child.stdout!.on("data", (chunk) => (printed += chunk) && printed.includes("shutting down") && resolve());
    });
    first.child.kill("SIGTERM");
    await draining;
    inFlight.write(body.slice(5));
    await answered;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toMatch(/connection: close/i);
    expect(answer).toContain('{"data":{"companies":{"totalCount":3}}}');
    expect(await exitCode).toBe(0);
    expect(fs.existsSync(path.join(dataDir, "embedded.lock"))).toBe(false);

    // A second start reuses the data: no second seed, and the same key still works.
    const second = start(dataDir);
    const again = await second.ready;
    expect(again.output).not.toContain("Seeded");
    expect(again.key).toBe(key);
    const companies = await fetch(again.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${again.key}` },
      body: JSON.stringify({ query: "{ companies { totalCount } }" }),
    });
    expect(await companies.json()).toEqual({ data: { companies: { totalCount: 3 } } });
    second.child.kill("SIGINT");
    expect(await stopped(second.child)).toBe(0);
  }, 90_000);
});
