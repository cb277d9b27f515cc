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
}

const RSS_LIMIT_MB = 300;
const P99_OVER_P50 = 4;
const TARGET_CONNECTIONS = 10;

/** The issue's targets, judged on this run's figures. */
export function judgeTargets(rows: ResultRow[], pageSizeChecks: PageSizeCheck[], peakRssMb: number | null): Target[] {
  const targets: Target[] = [];
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
    targets.push({ target: `p99 within ${P99_OVER_P50}× p50`, met: null, detail: "nothing measured" });
  }
  targets.push({
    target: `peak RSS under ${RSS_LIMIT_MB} MB`,
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
  const spread = measured.filter((r) => r.service!.p99Ms > P99_OVER_P50 * r.service!.p50Ms);
  const at = (r: ResultRow) => `${r.workload} @${r.connections}`;
  return [
    {
      target: "no errors",
      met: withErrors.length === 0,
      detail: withErrors.length === 0 ? "none" : withErrors.map((r) => `${at(r)}: ${r.service!.errors} (${r.service!.firstError})`).join("; "),
    },
    {
      target: `p99 within ${P99_OVER_P50}× p50`,
      met: spread.length === 0,
      detail:
        spread.length === 0
          ? `worst ${Math.max(...measured.map((r) => r.service!.p99Ms / r.service!.p50Ms)).toFixed(1)}×`
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
    "| Workload | Conn | req/s | p50 ms | p99 ms | Errors | SQL/req | CPU ms/req | Peak RSS MB | Baseline req/s | Baseline p50 ms | Baseline SQL/req | Baseline CPU ms/req | Ratio |",
  );
  lines.push("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const row of report.rows) {
    if (row.skipped) {
      lines.push(`| ${row.workload} | — | ${row.skipped} | | | | | | | | | | | |`);
      continue;
    }
    const s = row.service;
    const b = row.baseline;
    lines.push(
      `| ${row.workload} | ${row.connections} | ${rate(s)} | ${ms(s?.p50Ms)} | ${ms(s?.p99Ms)} | ${s ? s.errors : "—"} | ${sql(s)} | ${ms(s?.cpuMsPerRequest ?? undefined)} | ` +
        `${mb(row.peakRssMb)} | ${rate(b)} | ${ms(b?.p50Ms)} | ${sql(b)} | ${ms(b?.cpuMsPerRequest ?? undefined)} | ${row.ratio === null ? "—" : `${row.ratio.toFixed(2)}×`} |`,
    );
  }
  lines.push("");
  lines.push("Targets:");
  for (const target of report.targets) {
    const mark = target.met === null ? "–" : target.met ? "✓" : "✗";
    lines.push(`- ${mark} ${target.target}: ${target.detail}`);
  }
  if (report.notes.length > 0) {
    lines.push("");
    lines.push("Notes:");
    for (const { workload, note } of report.notes) lines.push(`- ${workload}: ${note}`);
  }
  return lines.join("\n") + "\n";
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
