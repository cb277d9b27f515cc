import "reflect-metadata";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { GraphQLSchema } from "graphql";
import { Pool } from "pg";
import { loadConfig } from "../src/config";
import { sessionOptions } from "../src/core/db/data-source";
import { prepareBaseline, runBaseline } from "./baseline";
import { SqlRecorder } from "./capture";
import { postGraphQL, responseProblem } from "./client";
import { createScratchDatabase } from "../src/core/db/scratch-database";
import { FULL_SIZE, loadDataset, QUICK_SIZE } from "./dataset";
import { introspect, prepareOperation } from "./graphql";
import { driveService } from "./load";
import { Measurement } from "./measurement";
import { Catalog } from "./records";
import { judgeTargets, PageSizeCheck, renderMarkdown, Report, ResultRow, writeResults } from "./report";
import { RunningService, startService } from "./service";
import { measureStartup } from "./startup";
import { Workload, workloads } from "./workloads";

const USAGE = `Usage: DATABASE_URL=postgres://… npm run bench [-- --quick] [--keep] [--seconds N] [--warmup N] [--only NAMES]
       npm run bench -- --startup

  DATABASE_URL  a PostgreSQL server (required). The bench creates a database of its own
                there (dealgraph_bench_…), and drops it at the end.
  --quick       a twentieth of the data set and 1 s runs: the whole bench in under a minute
  --keep        keep the bench database (its name is printed)
  --seconds N   length of each timed run (default 10, quick 1)
  --warmup N    length of each warm-up (default 3, quick 0.5)
  --only NAMES  only the workloads whose names start with one of these (comma-separated),
                e.g. --only updateReferralOpportunity,moveDeal
  --startup     only start-up on the embedded database (no DATABASE_URL needed): cold and warm
                start to the first answer, idle memory, SIGTERM to exit`;

const CONCURRENCY = [1, 10];
const PAGE_SIZES = [10, 100];
/** Requests per workload whose SQL statements are counted (on the counting instance). */
const STATEMENT_PROBES = 10;
const RESULTS_DIR = path.join(__dirname, "..", "..", "bench", "results");

interface Options {
  quick: boolean;
  keep: boolean;
  startup: boolean;
  seconds: number;
  warmup: number;
  only: string[] | null;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      startup: { type: "boolean", default: false },
      seconds: { type: "string" },
      warmup: { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const seconds = (raw: string | undefined, fallback: number, name: string) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number of seconds, got "${raw}"`);
    return value;
  };
  return {
    quick: values.quick!,
    keep: values.keep!,
    startup: values.startup!,
    seconds: seconds(values.seconds, values.quick ? 1 : 10, "seconds"),
    warmup: seconds(values.warmup, values.quick ? 0.5 : 3, "warmup"),
    only: values.only ? values.only.split(",").map((name) => name.trim()).filter(Boolean) : null,
  };
}

const startedAt = performance.now();
function log(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - startedAt) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}

/** What to undo at the end, last first, whether the run succeeded, failed or was interrupted. */
class Cleanup {
  private readonly steps: Array<() => Promise<unknown>> = [];
  private running: Promise<void> | null = null;

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step().catch((error) => log(`cleanup: ${(error as Error).message}`));
      }
    })();
    return this.running;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.startup) {
    const table = await measureStartup(log);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, "startup.md"), table);
    console.log(table);
    return;
  }
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error(`DATABASE_URL is required: the bench runs against a real PostgreSQL server.\n\n${USAGE}`);
  const poolMax = loadConfig().databasePoolMax;
  const cleanup = new Cleanup();
  process.once("SIGINT", () => {
    log("interrupted; cleaning up");
    void cleanup.run().then(() => process.exit(130));
  });

  try {
    const database = await createScratchDatabase(serverUrl, "dealgraph_bench");
    cleanup.add(async () => {
      if (options.keep) return log(`kept the bench database ${database.name}`);
      await database.drop();
      log(`dropped the bench database ${database.name}`);
    });
    log(`created and migrated ${database.name}`);

    // The baselines' sessions are set up as the service's are: the same SQL under the same settings.
    const pool = new Pool({ connectionString: database.url, max: poolMax, options: sessionOptions() });
    // pool.end() resolves before its connections are closed, and the drop (WITH FORCE) then
    // terminates them: an idle connection's error must not end the run. Queries report their own.
    pool.on("error", () => undefined);
    cleanup.add(() => pool.end());
    const dataset = await loadDataset(pool, options.quick ? QUICK_SIZE : FULL_SIZE);
    log(`loaded the data set in ${dataset.loadSeconds.toFixed(1)} s`);
    const catalog = await Catalog.load(pool);

    const service = await startService({ databaseUrl: database.url, poolMax, countStatements: false });
    cleanup.add(() => service.stop());
    log(`service pid ${service.pid} is up at ${service.url}`);
    const counting = await startService({ databaseUrl: database.url, poolMax, countStatements: true });
    cleanup.add(() => counting.stop());
    log(`statement-counting service pid ${counting.pid} is up at ${counting.url}`);
    const recorder = await SqlRecorder.start(database.url, poolMax);
    cleanup.add(() => recorder.stop());

    const apiKey = dataset.users[0].apiKey;
    const bench: Bench = { service, counting, recorder, pool, catalog, apiKey, schema: await introspect(service.url, apiKey), options };
    const rows: ResultRow[] = [];
    const notes: Report["notes"] = [];
    const pageSizeChecks: PageSizeCheck[] = [];
    const chosen = workloads(dataset).filter((workload) => !options.only || options.only.some((name) => workload.name.startsWith(name)));
    if (chosen.length === 0) throw new Error(`--only ${options.only!.join(",")} names no workload`);
    for (const workload of chosen) {
      const result = await benchWorkload(bench, workload);
      rows.push(...result.rows);
      notes.push(...result.notes.map((note) => ({ workload: workload.name, note })));
      if (result.pageSizeCheck) pageSizeChecks.push(result.pageSizeCheck);
    }

    const peakRssMb = service.peakRssMb();
    const report: Report = {
      date: new Date().toISOString(),
      node: process.versions.node,
      cpus: os.cpus().length,
      quick: options.quick,
      only: options.only,
      secondsPerRun: options.seconds,
      poolMax,
      dataset: { size: dataset.size, rows: dataset.rows, loadSeconds: dataset.loadSeconds },
      service: { peakRssMb },
      rows,
      pageSizeChecks,
      notes,
      targets: judgeTargets(rows, pageSizeChecks, peakRssMb),
    };
    process.stdout.write("\n" + renderMarkdown(report));
    const written = writeResults(report, RESULTS_DIR);
    log(`wrote ${path.relative(process.cwd(), written.markdown)} and ${path.relative(process.cwd(), written.json)}`);
  } finally {
    await cleanup.run();
  }
}

interface Bench {
  /** The service as production runs it: every timed run. */
  service: RunningService;
  /** A second instance that reports x-sql-statements: correctness checks and statement counts. */
  counting: RunningService;
  recorder: SqlRecorder;
  pool: Pool;
  catalog: Catalog;
  apiKey: string;
  schema: GraphQLSchema;
  options: Options;
}

/**
 * One workload: fitted to the schema (or skipped), checked once, its baseline prepared; then
 * the service after a warm-up at each concurrency, and the baseline likewise.
 */
async function benchWorkload(bench: Bench, workload: Workload): Promise<{ rows: ResultRow[]; notes: string[]; pageSizeCheck?: PageSizeCheck }> {
  const { service, counting, apiKey, options } = bench;
  const operation = prepareOperation(bench.schema, workload.document, workload.variables(0));
  if ("skip" in operation) {
    log(`${workload.name}: skipped, ${operation.skip}`);
    const skipped: ResultRow = { workload: workload.name, connections: null, service: null, peakRssMb: null, baseline: null, ratio: null };
    return { rows: [{ ...skipped, skipped: operation.skip, targetRatio: workload.targetRatio }], notes: [] };
  }
  const notes: string[] = [];
  if (operation.dropped.length > 0) notes.push(`not in the schema, so not selected: ${operation.dropped.join(", ")}`);

  // Writes to existing deals take their variables from one running count (see Workload.changes).
  let requests = 0;
  const variables = workload.changes ? () => workload.variables(requests++) : workload.variables;
  const versionsBefore = workload.changes ? await sumOfVersions(bench.pool, workload.changes.dealIds) : 0;

  const send = (vars: Record<string, unknown>) => postGraphQL(counting.url, apiKey, { query: operation.query, variables: vars });
  const problem = responseProblem(await send(variables(0)));
  if (problem) notes.push(`the first request failed: ${problem}`);
  let pageSizeCheck: PageSizeCheck | undefined;
  if (workload.pageSize) {
    pageSizeCheck = { workload: workload.name, statements: {} };
    for (const first of PAGE_SIZES) pageSizeCheck.statements[first] = (await send(workload.pageSize(first))).sqlStatements;
  }

  const sql = await statementsPerRequest(send, variables);
  const setup = await prepareBaseline({ ...bench, workload, variables, operation });
  notes.push(...setup.notes);

  log(`${workload.name}: service warm-up`);
  const body = (i: number) => JSON.stringify({ query: operation.query, variables: variables(i) });
  await driveService({ url: service.url, apiKey, connections: Math.max(...CONCURRENCY), seconds: options.warmup, body });
  const rows: ResultRow[] = [];
  for (const connections of CONCURRENCY) {
    await service.waitIdle();
    service.resetWindow();
    const cpuBefore = service.cpuSeconds();
    const run = await driveService({ url: service.url, apiKey, connections, seconds: options.seconds, body });
    const measured = { ...run, sql, cpuMsPerRequest: cpuPerRequest(cpuBefore, service.cpuSeconds(), run.requests) };
    log(`${workload.name} @${connections}: ${measured.requestsPerSecond.toFixed(0)} req/s, p50 ${measured.p50Ms.toFixed(2)} ms, ${measured.errors} errors`);
    const peakRssMb = service.windowPeakRssMb();
    rows.push({ workload: workload.name, connections, service: measured, peakRssMb, baseline: null, ratio: null, targetRatio: workload.targetRatio });
  }
  await service.waitIdle();

  if (setup.baseline) {
    log(`${workload.name}: baseline warm-up`);
    await runBaseline(setup.baseline, variables, Math.max(...CONCURRENCY), options.warmup);
    for (const row of rows) {
      row.baseline = await runBaseline(setup.baseline, variables, row.connections!, options.seconds);
      row.ratio = row.service!.requestsPerSecond / row.baseline.requestsPerSecond;
      log(`${workload.name} @${row.connections}: baseline ${row.baseline.requestsPerSecond.toFixed(0)} req/s, ratio ${row.ratio.toFixed(2)}`);
    }
  }
  if (workload.changes) {
    const wrote = (await sumOfVersions(bench.pool, workload.changes.dealIds)) - versionsBefore;
    notes.push(
      wrote === requests
        ? `every request wrote: ${requests} requests (checks, captures, warm-ups, timed runs, baselines), the deals' versions rose by ${wrote}`
        : `${requests} requests, but the deals' versions rose by ${wrote}: ${requests - wrote} wrote nothing or failed`,
    );
  }
  return { rows, notes, pageSizeCheck };
}

/** The sum of the deals' versions: one more with every write that changes a deal. */
async function sumOfVersions(pool: Pool, dealIds: string[]): Promise<number> {
  const { rows } = await pool.query<{ sum: string | null }>("SELECT sum(version) FROM pipeline_deal WHERE id = ANY($1::uuid[])", [dealIds]);
  return Number(rows[0].sum ?? 0);
}

/** The service's CPU time (user and system) per request during a run, in ms; null without /proc. */
function cpuPerRequest(before: number | null, after: number | null, requests: number): number | null {
  return before === null || after === null || requests === 0 ? null : ((after - before) * 1000) / requests;
}

/** SQL statements per request, over a few requests with the workload's varying variables. */
async function statementsPerRequest(
  send: (variables: Record<string, unknown>) => ReturnType<typeof postGraphQL>,
  variables: Workload["variables"],
): Promise<Measurement["sql"]> {
  const counts: number[] = [];
  for (let i = 1; i <= STATEMENT_PROBES; i++) {
    const { sqlStatements } = await send(variables(i));
    if (sqlStatements !== null) counts.push(sqlStatements);
  }
  if (counts.length === 0) return null;
  return { min: Math.min(...counts), max: Math.max(...counts), mean: counts.reduce((a, b) => a + b, 0) / counts.length };
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
