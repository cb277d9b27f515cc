import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { Client } from "pg";

/**
 * User plus system CPU time from the text of /proc/<pid>/stat, in clock ticks. The command
 * name (field 2) is in parentheses and may itself hold spaces and parentheses, so the fields
 * are counted from the last ") ": utime and stime are fields 14 and 15 of the line.
 */
export function parseStatCpuTicks(stat: string): number | null {
  const end = stat.lastIndexOf(") ");
  if (end < 0) return null;
  const fields = stat.slice(end + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isInteger(utime) && Number.isInteger(stime) ? utime + stime : null;
}

/** User plus system CPU time of a process, in clock ticks (Linux); null when it is gone or there is no /proc. */
export function cpuTicks(pid: number): number | null {
  try {
    return parseStatCpuTicks(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times (100 on Linux, nearly always). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds of one process since it started; null without /proc. */
export function cpuSeconds(pid: number): number | null {
  const ticks = cpuTicks(pid);
  return ticks === null ? null : ticks / CLOCK_TICKS;
}

/**
 * The CPU a set of processes spent between two moments, from readings of their tick counters.
 * A process seen at the start counts from that reading; one first seen later was born during
 * the window (the start's set is complete), so it counts from zero; one that exited counts up
 * to its last reading, so whatever it spent after that is lost (hence the frequent readings
 * and long-lived pools).
 */
export class CpuWindow {
  private readonly start = new Map<number, number>();
  private readonly last = new Map<number, number>();

  /** The readings at the start of the window: every process that exists then. */
  constructor(initial: Map<number, number>) {
    for (const [pid, ticks] of initial) {
      this.start.set(pid, ticks);
      this.last.set(pid, ticks);
    }
  }

  /** A reading during or at the end of the window; a process that is gone is simply absent. */
  observe(readings: Map<number, number>): void {
    for (const [pid, ticks] of readings) {
      const started = this.start.get(pid);
      // A pid reused by a new process reads below its start: that is a process born in the window.
      if (started !== undefined && ticks < started) this.start.set(pid, 0);
      this.last.set(pid, ticks);
    }
  }

  /** The ticks spent in the window over the union of the processes seen. */
  ticks(): number {
    let total = 0;
    for (const [pid, ticks] of this.last) total += ticks - (this.start.get(pid) ?? 0);
    return total;
  }

  processes(): number {
    return this.last.size;
  }
}

const SAMPLE_MS = 200;

/**
 * CPU time of the PostgreSQL backends serving one database (Linux, with the server on this
 * machine). The backends are found in pg_stat_activity (client backends of the database and
 * their parallel workers, except this monitor's own connection; not autovacuum) at the start and
 * every 200 ms during a window, and their /proc/<pid>/stat read each time; the window sums the
 * deltas over every backend seen. A parallel worker that starts and exits between two readings
 * is missed.
 */
export class BackendCpu {
  private constructor(
    private readonly client: Client,
    private readonly ownPid: number,
  ) {}

  /** Null when the server's processes cannot be read here (no /proc, or PostgreSQL on another machine). */
  static async connect(databaseUrl: string): Promise<BackendCpu | null> {
    const client = new Client({ connectionString: databaseUrl });
    client.on("error", () => undefined);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const ownPid = rows[0].pid;
    if (cpuTicks(ownPid) === null || !fs.readFileSync(`/proc/${ownPid}/cmdline`, "utf8").startsWith("postgres")) {
      await client.end();
      return null;
    }
    return new BackendCpu(client, ownPid);
  }

  private async read(): Promise<Map<number, number>> {
    const { rows } = await this.client.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type IN ('client backend', 'parallel worker') AND pid <> $1",
      [this.ownPid],
    );
    const readings = new Map<number, number>();
    for (const { pid } of rows) {
      const ticks = cpuTicks(pid);
      if (ticks !== null) readings.set(pid, ticks);
    }
    return readings;
  }

  /** Starts a window; `stop()` ends it and gives the backends' CPU seconds spent in it. */
  async begin(): Promise<{ stop(): Promise<{ seconds: number; backends: number }> }> {
    const window = new CpuWindow(await this.read());
    let sampling: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(async () => window.observe(await this.read())).catch(() => undefined);
    }, SAMPLE_MS);
    return {
      stop: async () => {
        clearInterval(timer);
        await sampling;
        window.observe(await this.read());
        return { seconds: window.ticks() / CLOCK_TICKS, backends: window.processes() };
      },
    };
  }

  end(): Promise<void> {
    return this.client.end();
  }
}
