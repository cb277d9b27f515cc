import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface StartupFigures {
  /** Spawn to the first answered GraphQL request (with the printed demo key), in ms. */
  firstAnswerMs: number;
  /** Spawn to the banner (listening), in ms. */
  listeningMs: number;
  /** Resident memory a few seconds after the first answer, in MB. */
  idleRssMb: number;
  /** SIGTERM to exit, in ms. */
  stopMs: number;
  exitCode: number | null;
}

/**
 * One start of the built service on the embedded database in `dataDir`, as `npm start` runs it:
 * time to listen, time to the first answer, memory once idle, time to stop.
 */
async function startOnce(dataDir: string, idleSeconds: number): Promise<StartupFigures> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [path.join(__dirname, "..", "src", "main.js")], {
    env: { ...process.env, DATABASE_URL: "", DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "development", LOG_LEVEL: "warn", SEED_DEMO: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const { url, key, listeningMs } = await new Promise<{ url: string; key: string; listeningMs: number }>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const url = /GraphQL: (\S+)/.exec(output)?.[1];
      const key = /Demo API key: (\S+)/.exec(output)?.[1];
      if (url && key) resolve({ url, key, listeningMs: performance.now() - spawnedAt });
    });
    void exited.then((code) => reject(new Error(`the service exited with ${code}:\n${output}`)));
  });
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: "{ me { organization { name } } }" }),
  });
  const body = (await response.json()) as { data?: unknown };
  if (!body.data) throw new Error(`the first request failed: ${JSON.stringify(body)}`);
  const firstAnswerMs = performance.now() - spawnedAt;

  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const idleRssMb = rssMb(child.pid!);
  const stoppingAt = performance.now();
  child.kill("SIGTERM");
  const exitCode = await exited;
  return { firstAnswerMs, listeningMs, idleRssMb, stopMs: performance.now() - stoppingAt, exitCode };
}

/** The process's resident set from /proc (Linux), in MB. */
function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Cold start (a new data folder: create, migrate, seed) and warm start (the same folder again). */
export async function measureStartup(log: (message: string) => void, idleSeconds = 3): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dealgraph-bench-startup-"));
  try {
    const cold = await startOnce(dataDir, idleSeconds);
    log(`cold start: first answer after ${cold.firstAnswerMs.toFixed(0)} ms, idle RSS ${cold.idleRssMb} MB`);
    const warm = await startOnce(dataDir, idleSeconds);
    log(`warm start: first answer after ${warm.firstAnswerMs.toFixed(0)} ms, idle RSS ${warm.idleRssMb} MB`);
    const row = (name: string, f: StartupFigures) =>
      `| ${name} | ${f.listeningMs.toFixed(0)} | ${f.firstAnswerMs.toFixed(0)} | ${f.idleRssMb} | ${f.stopMs.toFixed(0)} | ${f.exitCode} |`;
    return [
      `Start-up on the embedded database (${os.cpus().length} CPUs, Node ${process.version}, idle RSS read ${idleSeconds} s after the first answer)`,
      "",
      "| start | listening ms | first answer ms | idle RSS MB | SIGTERM to exit ms | exit code |",
      "|---|---|---|---|---|---|",
      row("cold (new data folder: migrate, seed)", cold),
      row("warm (same folder)", warm),
      "",
    ].join("\n");
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
