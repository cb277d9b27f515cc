/** What one timed run of one workload at one concurrency produced. */
export interface Measurement {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed requests: transport errors, non-2xx answers and answers with a GraphQL `errors` array. */
  errors: number;
  firstError: string | null;
  /** SQL statements per request (service: x-sql-statements of the counting instance; baseline: the statements replayed). */
  sql: { min: number; max: number; mean: number } | null;
  /**
   * CPU time (user and system) per request, in ms: the service process's (from /proc, so null
   * elsewhere), or for a baseline the bench process's, which runs it. PostgreSQL's is in neither.
   */
  cpuMsPerRequest: number | null;
  /**
   * PostgreSQL's CPU time per request, in ms: the backends serving the bench's database
   * (from /proc, so null elsewhere or when the server runs on another machine).
   */
  pgCpuMsPerRequest: number | null;
}

/** Collects latencies (ms, sub-millisecond precision), errors and statement counts during a run. */
export class RunStats {
  private readonly latencies: number[] = [];
  private errors = 0;
  private firstError: string | null = null;
  private sqlMin = Infinity;
  private sqlMax = -Infinity;
  private sqlSum = 0;
  private sqlCount = 0;

  latency(ms: number): void {
    this.latencies.push(ms);
  }

  /** Counts a failed request; only the first one is described, so `describe` runs once. */
  error(describe: () => string): void {
    this.errors++;
    this.firstError ??= describe();
  }

  statements(count: number): void {
    this.sqlMin = Math.min(this.sqlMin, count);
    this.sqlMax = Math.max(this.sqlMax, count);
    this.sqlSum += count;
    this.sqlCount++;
  }

  finish(seconds: number): Measurement {
    const sorted = Float64Array.from(this.latencies).sort();
    return {
      requests: sorted.length,
      seconds,
      requestsPerSecond: sorted.length / seconds,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      errors: this.errors,
      firstError: this.firstError,
      sql: this.sqlCount > 0 ? { min: this.sqlMin, max: this.sqlMax, mean: this.sqlSum / this.sqlCount } : null,
      cpuMsPerRequest: null,
      pgCpuMsPerRequest: null,
    };
  }
}

/** CPU seconds spent between two readings, per request, in ms; null when either reading is missing. */
export function cpuMsPerRequest(before: number | null, after: number | null, requests: number): number | null {
  return before === null || after === null || requests === 0 ? null : ((after - before) * 1000) / requests;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
