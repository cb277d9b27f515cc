import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createDataSource } from "../src/core/db/data-source";
import { createTenant } from "./factories";

const run = promisify(execFile);

/** Runs the built service with `env` until it exits by itself (a start-up failure). */
async function startFails(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const result = await run(process.execPath, ["dist/src/main.js"], { env: { ...process.env, HOST: "127.0.0.1", NODE_ENV: "test", ...env }, timeout: 30_000 }).then(
    (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
    (error) => ({ code: error.code as number, output: `${error.stdout}${error.stderr}` }),
  );
  return result;
}

describe("start-up: settings are checked before anything is migrated or seeded", () => {
  let dataDir: string;
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dealgraph-startup-"))));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("fails with one sentence naming PORT when the port is in use, leaving DATA_DIR untouched", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const { code, output } = await startFails({ DATABASE_URL: "", DATA_DIR: dataDir, PORT: String(port) });
      expect(code).toBe(1);
      expect(output.trim()).toBe(`dealgraph failed to start: PORT ${port} is already in use on 127.0.0.1: stop the other process or set PORT to a free port.`);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it.each([
    [{ DATABASE_URL: "mysql://admin:hunter2@db/app" }, "DATABASE_URL must be a postgres:// URL"],
    [{ PORT: "70000" }, "PORT must be from 0 to 65535"],
    [{ SEED_DEMO: "sometimes" }, "SEED_DEMO must be true or false"],
    [{ PLAYGROUND: "on" }, "PLAYGROUND must be true or false"],
  ])("refuses %j with a message naming the setting", async (env, message) => {
    const { code, output } = await startFails({ DATABASE_URL: "", DATA_DIR: dataDir, PORT: "0", ...env });
    expect(code).toBe(1);
    expect(output).toContain(message);
    expect(output).not.toContain("hunter2");
    expect(output.trim().split("\n")).toHaveLength(1);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  // A child on the embedded test database would be a second client of its one session.
  (process.env.DEALGRAPH_TEST_EMBEDDED === "true" ? it.skip : it)(
    "on DATABASE_URL never reads or writes DATA_DIR/demo.json, even with SEED_DEMO=true",
    async () => {
      // An organization exists, so there is nothing to seed. The planted file names a real user with a
      // dead key: a service that read it would make that user a new key and write it into the file.
      const db = createDataSource({ url: process.env.DEALGRAPH_TEST_DATABASE_URL!, poolMax: 1 });
      await db.initialize();
      const tenant = await createTenant(db).finally(() => db.destroy());
      const demoFile = path.join(dataDir, "demo.json");
      const planted = JSON.stringify({ organizationId: tenant.organizationId, userId: tenant.userId, apiKey: "dg_" + "p".repeat(43) });
      fs.writeFileSync(demoFile, planted);
      const child = spawn(process.execPath, ["dist/src/main.js"], {
        env: { ...process.env, DATABASE_URL: process.env.DEALGRAPH_TEST_DATABASE_URL!, DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "test", SEED_DEMO: "true", LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout!.on("data", (chunk) => (output += chunk));
      child.stderr!.on("data", (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", () => /GraphQL: \S+/.test(output) && resolve());
        void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).not.toContain("Demo API key");
      expect(fs.readFileSync(demoFile, "utf8")).toBe(planted);
      expect(fs.readdirSync(dataDir)).toEqual(["demo.json"]);
    },
    60_000,
  );
});
