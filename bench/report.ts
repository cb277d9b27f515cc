import fs from "node:fs";
import path from "node:path";
import { DatasetSize } from "./dataset";
import { Measurement } from "./measurement";

/** One line of the table: a workload at one concurrency, or a workload that could not run. */
export interface ResultRow {
  workload: string;
  connections: number | null;
  service: Measurement | null;
  /** The service's peak RSS during this run (MB). */
  peakRssMb: number | null;
  baseline: Measurement | null;
  /** Service requests/s ÷ baseline requests/s. */
  ratio: number | null;
  /** Why there are no figures ("not in schema"), when there are none. */
  skipped?: string;
  targetRatio?: number;
}

export interface PageSizeCheck {
  workload: string;
  /** x-sql-statements per page size asked for. */
  statements: Record<number, number | null>;
}

export interface Target {
  target: string;
  /** null: not measured (the workload did not run). */
  met: boolean | null;
  detail: string;
}

/** One workload at one concurrency on both endpoints of `--compare`, over interleaved rounds. */
export interface CompareRow {
  workload: string;
  connections: number;
  /** dealgraph's figures and the compared endpoint's, each summed over its rounds. */
  dealgraph: Measurement;
  other: Measurement;
}

export interface CompareReport {
  url: string;
  queries: string;
  /** The compared server's process (its Node CPU), when given. */
  pid: number | null;
  rounds: number;
  rows: CompareRow[];
}

export interface Report {
  date: string;
  node: string;
  cpus: number;
  quick: boolean;
  /** --only: the workloads asked for, when not all. */
  only?: string[] | null;
  secondsPerRun: number;
  poolMax: number;
  dataset: { size: DatasetSize; rows: Record<string, number>; loadSeconds: number };
  service: { peakRssMb: number | null };
  rows: ResultRow[];
  pageSizeChecks: PageSizeCheck[];
  notes: Array<{ workload: string; note: string }>;
  targets: Target[];
  compare?: CompareReport | null;
}

/** Issue 12's targets (those the bench can judge; the statement budgets are also asserted in tests). */
export const RSS_LIMIT_MB = 250;
export const P99_OVER_P50 = 3;
const TARGET_CONNECTIONS = 10;
/** dealgraph's req/s ÷ the compared endpoint's (PostGraphile 5) at each concurrency. */
export const COMPARE_RATIO = 1.0;

/**
 * The SQL statement budget of a workload by its kind, read from its name: a list page
 * ("…(first: N)", "…(search, first: N)") 3, a deal by id 2, a create, an update or a move 3; null when the issue sets
 * none.
 */
export function statementBudget(workload: string): number | null {
  if (/\bfirst: \d+/.test(workload)) return 3;
  if (/\(id\)$/.test(workload)) return 2;
  if (/^(create|update|move)/.test(workload)) return 3;
  return null;
}

/** The issue's marks of one row: null where the row has no figure for it or the target does not apply. */
export function rowMarks(row: ResultRow): { statements: boolean | null; p99: boolean | null; rss: boolean | null } {
  const budget = statementBudget(row.workload);
  const service = row.service;
  return {
    statements: budget === null || !service?.sql ? null : service.sql.max <= budget,
    p99: !service || row.connections !== TARGET_CONNECTIONS || service.requests === 0 ? null : service.p99Ms <= P99_OVER_P50 * service.p50Ms,
    rss: row.peakRssMb === null ? null : row.peakRssMb < RSS_LIMIT_MB,
  };
}

/** dealgraph against the compared endpoint: the req/s ratio, and whether it is at least 1.0× and uses at most its Node CPU per request. */
export function compareMarks(row: CompareRow): { ratio: number | null; faster: boolean | null; leaner: boolean | null } {
  const ratio = row.other.requestsPerSecond > 0 ? row.dealgraph.requestsPerSecond / row.other.requestsPerSecond : null;
  const a = row.dealgraph.cpuMsPerRequest;
  const b = row.other.cpuMsPerRequest;
  return { ratio, faster: ratio === null ? null : ratio >= COMPARE_RATIO, leaner: a === null || b === null ? null : a <= b };
}

/** The issue's targets, judged on this run's figures. */
export function judgeTargets(rows: ResultRow[], pageSizeChecks: PageSizeCheck[], peakRssMb: number | null, compare: CompareRow[] = []): Target[] {
  const targets: Target[] = [];
  for (const row of rows.filter((r) => r.service?.sql && statementBudget(r.workload) !== null && r.connections === TARGET_CONNECTIONS)) {
    const budget = statementBudget(row.workload)!;
    targets.push({ target: `${row.workload}: at most ${budget} SQL statements`, met: row.service!.sql!.max <= budget, detail: sql(row.service) });
  }
  for (const row of compare) {
    const { ratio, faster, leaner } = compareMarks(row);
    targets.push({
      target: `${row.workload} @${row.connections} ≥ ${COMPARE_RATIO.toFixed(1)}× the compared endpoint's req/s`,
      met: faster,
      detail: ratio === null ? "no figure" : `${ratio.toFixed(2)}×`,
    });
    targets.push({
      target: `${row.workload} @${row.connections} at most the compared endpoint's Node CPU per request`,
      met: leaner,
      detail: leaner === null ? "no figure (give --compare-pid)" : `${ms(row.dealgraph.cpuMsPerRequest ?? undefined)} vs ${ms(row.other.cpuMsPerRequest ?? undefined)} ms`,
    });
  }
  for (const row of rows.filter((r) => r.targetRatio !== undefined && (r.connections === TARGET_CONNECTIONS || r.skipped))) {
    const target = `${row.workload} ≥ ${row.targetRatio}× its baseline at ${TARGET_CONNECTIONS} connections`;
    if (row.ratio === null) targets.push({ target, met: null, detail: row.skipped ?? "no baseline" });
    else targets.push({ target, met: row.ratio >= row.targetRatio!, detail: `${row.ratio.toFixed(2)}×` });
  }
  const measured = rows.filter((r) => r.service);
  if (measured.length > 0) {
    targets.push(...latencyAndErrorTargets(measured));
  } else {
    targets.push({ target: "no errors", met: null, detail: "nothing measured" });
    targets.push({ target: `p99 within ${P99_OVER_P50}× p50 at ${TARGET_CONNECTIONS} connections`, met: null, detail: "nothing measured" });
  }
  targets.push({
    target: `service peak RSS under ${RSS_LIMIT_MB} MB`,
    met: peakRssMb === null ? null : peakRssMb < RSS_LIMIT_MB,
    detail: peakRssMb === null ? "not measured (no /proc)" : `${peakRssMb.toFixed(0)} MB`,
  });
  for (const check of pageSizeChecks) {
    const counts = Object.values(check.statements);
    const known = counts.every((count) => count !== null);
    targets.push({
      target: `${check.workload.replace(/\(first: \d+\)/, "")}: same SQL statement count for first: ${Object.keys(check.statements).join(", ")}`,
      met: known ? new Set(counts).size === 1 : null,
      detail: Object.entries(check.statements).map(([first, count]) => `${first}→${count ?? "?"}`).join(", "),
    });
  }
  return targets;
}

function latencyAndErrorTargets(measured: ResultRow[]): Target[] {
  const withErrors = measured.filter((r) => r.service!.errors > 0);
  const atTarget = measured.filter((r) => rowMarks(r).p99 !== null);
  const spread = atTarget.filter((r) => rowMarks(r).p99 === false);
  const at = (r: ResultRow) => `${r.workload} @${r.connections}`;
  return [
    {
      target: "no errors",
      met: withErrors.length === 0,
      detail: withErrors.length === 0 ? "none" : withErrors.map((r) => `${at(r)}: ${r.service!.errors} (${r.service!.firstError})`).join("; "),
    },
    {
      target: `p99 within ${P99_OVER_P50}× p50 at ${TARGET_CONNECTIONS} connections`,
      met: atTarget.length === 0 ? null : spread.length === 0,
      detail:
        atTarget.length === 0
          ? `nothing measured at ${TARGET_CONNECTIONS} connections`
          : spread.length === 0
          ? `worst ${Math.max(...atTarget.map((r) => r.service!.p99Ms / r.service!.p50Ms)).toFixed(1)}×`
          : spread.map((r) => `${at(r)}: ${(r.service!.p99Ms / r.service!.p50Ms).toFixed(1)}×`).join("; "),
    },
  ];
}

export function renderMarkdown(report: Report): string {
  const lines: string[] = [];
  const { dataset } = report;
  lines.push(`# dealgraph bench${report.quick ? " (quick)" : ""}${report.only ? ` (only ${report.only.join(", ")})` : ""}`);
  lines.push("");
  lines.push(
    `${report.date} · Node ${report.node} · ${report.cpus} CPUs · ${report.secondsPerRun} s per run · ` +
      `pool of ${report.poolMax} connections (service and baseline) · service peak RSS ${mb(report.service.peakRssMb)} MB`,
  );
  lines.push("");
  lines.push(
    `Data set, rows per table (loaded in ${dataset.loadSeconds.toFixed(1)} s): ` +
      Object.entries(dataset.rows)
        .map(([table, count]) => `${table} ${count.toLocaleString("en-US")}`)
        .join(" · "),
  );
  lines.push("");
  lines.push(
    "| Workload | Conn | req/s | p50 ms | p99 ms | Errors | SQL/req | Node CPU ms/req | PG CPU ms/req | Peak RSS MB | Baseline req/s | Baseline p50 ms | Baseline SQL/req | Baseline CPU ms/req | Baseline PG CPU ms/req | Ratio |",
  );
  lines.push("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const row of report.rows) {
    if (row.skipped) {
      lines.push(`| ${row.workload} | — | ${row.skipped} | | | | | | | | | | | | | |`);
      continue;
    }
    const s = row.service;
    const b = row.baseline;
    const marks = rowMarks(row);
    lines.push(
      `| ${row.workload} | ${row.connections} | ${rate(s)} | ${ms(s?.p50Ms)} | ${ms(s?.p99Ms)}${mark(marks.p99)} | ${s ? s.errors : "—"} | ${sql(s)}${mark(marks.statements)} | ` +
        `${ms(s?.cpuMsPerRequest ?? undefined)} | ${ms(s?.pgCpuMsPerRequest ?? undefined)} | ${mb(row.peakRssMb)}${mark(marks.rss)} | ` +
        `${rate(b)} | ${ms(b?.p50Ms)} | ${sql(b)} | ${ms(b?.cpuMsPerRequest ?? undefined)} | ${ms(b?.pgCpuMsPerRequest ?? undefined)} | ${row.ratio === null ? "—" : `${row.ratio.toFixed(2)}×`} |`,
    );
  }
  lines.push("");
  lines.push(
    `Marks (issue 12): SQL/req within its budget (list ≤ 3, by id ≤ 2, create, update and move ≤ 3) · p99 ≤ ${P99_OVER_P50}× p50 at ${TARGET_CONNECTIONS} connections · peak RSS < ${RSS_LIMIT_MB} MB.`,
  );
  if (report.compare) lines.push("", ...renderCompare(report.compare));
  lines.push("");
  lines.push("Targets:");
  for (const target of report.targets) {
    const sign = target.met === null ? "–" : target.met ? "✓" : "✗";
    lines.push(`- ${sign} ${target.target}: ${target.detail}`);
  }
  if (report.notes.length > 0) {
    lines.push("");
    lines.push("Notes:");
    for (const { workload, note } of report.notes) lines.push(`- ${workload}: ${note}`);
  }
  return lines.join("\n") + "\n";
}

function renderCompare(compare: CompareReport): string[] {
  const lines = [
    `## Side by side: dealgraph (A) and ${compare.url} (B)`,
    "",
    `${compare.rounds} interleaved rounds (A, B, A, B, …) per row, figures summed over them · queries from ${compare.queries} · ` +
      `B's Node CPU ${compare.pid === null ? "not measured (no --compare-pid)" : `of pid ${compare.pid}`} · PG CPU: the backends of the bench's database while each ran`,
    "",
    `| Workload | Conn | A req/s | B req/s | A ÷ B (≥ ${COMPARE_RATIO.toFixed(1)}×) | A p50 ms | B p50 ms | A p99 ms | B p99 ms | A Node CPU ms/req | B Node CPU ms/req | A PG CPU ms/req | B PG CPU ms/req | A errors | B errors |`,
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const row of compare.rows) {
    const { dealgraph: a, other: b } = row;
    const marks = compareMarks(row);
    lines.push(
      `| ${row.workload} | ${row.connections} | ${rate(a)} | ${rate(b)} | ${marks.ratio === null ? "—" : `${marks.ratio.toFixed(2)}×`}${mark(marks.faster)} | ` +
        `${ms(a.p50Ms)} | ${ms(b.p50Ms)} | ${ms(a.p99Ms)} | ${ms(b.p99Ms)} | ${ms(a.cpuMsPerRequest ?? undefined)}${mark(marks.leaner)} | ${ms(b.cpuMsPerRequest ?? undefined)} | ` +
        `${ms(a.pgCpuMsPerRequest ?? undefined)} | ${ms(b.pgCpuMsPerRequest ?? undefined)} | ${a.errors} | ${b.errors} |`,
    );
  }
  const failed = compare.rows.filter((row) => row.other.errors > 0);
  for (const row of failed) lines.push("", `B's first error on ${row.workload} @${row.connections}: ${row.other.firstError}`);
  return lines;
}

/** " ✓" or " ✗" after a figure a target applies to; nothing where none does. */
export function mark(met: boolean | null): string {
  return met === null ? "" : met ? " ✓" : " ✗";
}

/** Writes bench/results/latest.md and latest.json (next to the sources, not in dist/). */
export function writeResults(report: Report, directory: string): { markdown: string; json: string } {
  fs.mkdirSync(directory, { recursive: true });
  const markdown = path.join(directory, "latest.md");
  const json = path.join(directory, "latest.json");
  fs.writeFileSync(markdown, renderMarkdown(report));
  fs.writeFileSync(json, JSON.stringify(report, roundNumbers, 2) + "\n");
  return { markdown, json };
}

function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value;
}

function rate(measurement: Measurement | null): string {
  if (!measurement) return "—";
  const value = measurement.requestsPerSecond;
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "—";
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function mb(value: number | null): string {
  return value === null ? "—" : value.toFixed(0);
}

function sql(measurement: Measurement | null): string {
  const counts = measurement?.sql;
  if (!counts) return "—";
  return counts.min === counts.max ? String(counts.min) : `${counts.min}–${counts.max} (${counts.mean.toFixed(1)})`;
}
