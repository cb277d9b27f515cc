import { ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { cpuSeconds, cpuTicks } from "./process-cpu";

export interface RunningService {
  url: string;
  pid: number;
  /** Peak resident set size (MB) since start, and since the last `resetWindow()`. */
  peakRssMb(): number | null;
  windowPeakRssMb(): number | null;
  resetWindow(): void;
  /** CPU time (user and system, all threads) the service has used since it started, in seconds; null without /proc. */
  cpuSeconds(): number | null;
  /**
   * Resolves once the service has stopped using CPU: after a timed run it is still answering
   * the requests that were in flight when the load stopped, and the next run must not pay for them.
   */
  waitIdle(): Promise<void>;
  /** What the service printed, for error reports. */
  output(): string;
  stop(): Promise<void>;
}

const RSS_SAMPLE_MS = 100;
const START_TIMEOUT_MS = 30_000;
/** The service holds no state of its own: after this long, a SIGTERM is followed by SIGKILL. */
const STOP_GRACE_MS = 3_000;

/**
 * Starts the compiled service (dist/src/main.js) as a child process, as production runs it,
 * on a free port. `countStatements` turns on the per-request x-sql-statements header, whose
 * bookkeeping (AsyncLocalStorage) slows every request: the bench times a service without it.
 */
export async function startService({
  databaseUrl,
  poolMax,
  countStatements,
}: {
  databaseUrl: string;
  poolMax: number;
  countStatements: boolean;
}): Promise<RunningService> {
  const port = await freePort();
  const entry = path.join(__dirname, "..", "src", "main.js");
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: String(poolMax),
      PORT: String(port),
      HOST: "127.0.0.1",
      SQL_STATS: String(countStatements),
      SEED_DEMO: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const rss = sampleRss(child.pid!);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, exited, () => output);
  } catch (error) {
    rss.stop();
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url: `${base}/graphql`,
    pid: child.pid!,
    peakRssMb: () => rss.peak(),
    windowPeakRssMb: () => rss.windowPeak(),
    resetWindow: () => rss.resetWindow(),
    cpuSeconds: () => cpuSeconds(child.pid!),
    waitIdle: () => waitIdle(child.pid!),
    output: () => output,
    stop: () => stop(child, exited, rss.stop),
  };
}

async function waitForHealth(base: string, exited: Promise<number | null>, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`The service exited with code ${exitCode} before it was healthy:\n${output()}`);
    const healthy = await fetch(`${base}/health`).then((response) => response.ok, () => false);
    if (healthy) return;
    await sleep(100);
  }
  throw new Error(`The service was not healthy after ${START_TIMEOUT_MS / 1000} s:\n${output()}`);
}

/** Reads VmRSS from /proc every 100 ms (Linux); elsewhere there is no figure. */
function sampleRss(pid: number) {
  let peak: number | null = null;
  let windowPeak: number | null = null;
  const read = () => {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      return;
    }
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match) return;
    const mb = Number(match[1]) / 1024;
    peak = Math.max(peak ?? 0, mb);
    windowPeak = Math.max(windowPeak ?? 0, mb);
  };
  read();
  const timer = setInterval(read, RSS_SAMPLE_MS);
  timer.unref();
  return {
    peak: () => peak,
    windowPeak: () => windowPeak,
    resetWindow: () => {
      windowPeak = null;
      read();
    },
    stop: () => clearInterval(timer),
  };
}

const IDLE_SAMPLE_MS = 50;
const IDLE_TIMEOUT_MS = 30_000;

/** Waits for two consecutive samples without CPU time spent (Linux: /proc/<pid>/stat); elsewhere waits a second. */
export async function waitIdle(pid: number): Promise<void> {
  let last = cpuTicks(pid);
  if (last === null) return sleep(1_000);
  const deadline = Date.now() + IDLE_TIMEOUT_MS;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await sleep(IDLE_SAMPLE_MS);
    const now = cpuTicks(pid);
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

async function stop(child: ChildProcess, exited: Promise<number | null>, stopSampling: () => void): Promise<void> {
  stopSampling();
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timeout = sleep(STOP_GRACE_MS).then(() => "timeout" as const);
  if ((await Promise.race([exited, timeout])) === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
