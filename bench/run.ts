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
import { openNamedDatabase, storedDataset, storedRequestCount, storeDataset, storeRequestCount } from "./bench-database";
import { SqlRecorder } from "./capture";
import { postGraphQL, responseProblem } from "./client";
import { compareFacts, CompareQuery, compareVariables, loadCompareQueries } from "./compare";
import { createScratchDatabase } from "../src/core/db/scratch-database";
import { Dataset, FULL_SIZE, loadDataset, QUICK_SIZE } from "./dataset";
import { introspect, prepareOperation } from "./graphql";
import { driveService } from "./load";
import { cpuMsPerRequest, Measurement, RunStats } from "./measurement";
import { BackendCpu, cpuSeconds } from "./process-cpu";
import { Catalog } from "./records";
import { CompareReport, CompareRow, judgeTargets, PageSizeCheck, renderMarkdown, Report, ResultRow, writeResults } from "./report";
import { RunningService, sleep, startService, waitIdle } from "./service";
import { measureStartup } from "./startup";
import { Workload, workloads } from "./workloads";

const USAGE = `Usage: DATABASE_URL=postgres://… npm run bench [-- --quick] [--keep | --database NAME] [--seconds N] [--warmup N] [--only NAMES]
                     [--compare URL [--compare-queries FILE] [--compare-pid PID] [--compare-key] [--rounds N]]
       npm run bench -- --startup

  DATABASE_URL  a PostgreSQL server (required). The bench creates a database of its own
                there (dealgraph_bench_…), and drops it at the end.
  --quick       a twentieth of the data set and 1 s runs: the whole bench in under a minute
  --keep        keep the bench database (its name is printed)
  --database NAME  use (and keep) the database NAME: created and loaded on the first run,
                reused as it is on later ones, so another server can serve the same data
  --compare URL    also run every workload the queries file names against the GraphQL
                endpoint URL (which must serve the bench's database: see --database), in
                interleaved rounds with dealgraph, and print the two side by side
  --compare-queries FILE  the endpoint's equivalent queries (default
                bench/postgraphile/queries.json, for PostGraphile 5: npm run bench:postgraphile)
  --compare-pid PID  the compared server's process, for its Node CPU per request
  --compare-key send the bench user's API key to the compared endpoint too (a second dealgraph)
  --rounds N    interleaved rounds per workload and concurrency with --compare (default 3,
                quick 2); each round runs --seconds on each endpoint
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
const DEFAULT_COMPARE_QUERIES = path.join("bench", "postgraphile", "queries.json");

interface Options {
  quick: boolean;
  keep: boolean;
  startup: boolean;
  seconds: number;
  warmup: number;
  only: string[] | null;
  database: string | null;
  compare: { url: string; queries: string; pid: number | null; sendKey: boolean; rounds: number } | null;
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
      database: { type: "string" },
      compare: { type: "string" },
      "compare-queries": { type: "string" },
      "compare-pid": { type: "string" },
      "compare-key": { type: "boolean", default: false },
      rounds: { type: "string" },
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
  const whole = (raw: string | undefined, fallback: number | null, name: string) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number, got "${raw}"`);
    return value;
  };
  if (values.database && values.keep) throw new Error("--database keeps its database already: leave out --keep");
  if (!values.compare && (values["compare-queries"] || values["compare-pid"] || values["compare-key"] || values.rounds)) {
    throw new Error("--compare-queries, --compare-pid, --compare-key and --rounds go with --compare URL");
  }
  return {
    database: values.database ?? null,
    compare: values.compare
      ? {
          url: values.compare,
          queries: values["compare-queries"] ?? DEFAULT_COMPARE_QUERIES,
          pid: whole(values["compare-pid"], null, "compare-pid"),
          sendKey: values["compare-key"]!,
          rounds: whole(values.rounds, values.quick ? 2 : 3, "rounds")!,
        }
      : null,
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
    const compareQueries = options.compare ? loadCompareQueries(options.compare.queries) : null;
    const database = options.database ? await openNamedDatabase(serverUrl, options.database) : await createScratchDatabase(serverUrl, "dealgraph_bench");
    cleanup.add(async () => {
      if (options.keep || !("drop" in database)) return log(`kept the bench database ${database.name}`);
      await database.drop();
      log(`dropped the bench database ${database.name}`);
    });
    log(`${"created" in database && !database.created ? "reusing" : "created and migrated"} ${database.name}`);

    // The baselines' sessions are set up as the service's are: the same SQL under the same settings.
    const pool = new Pool({ connectionString: database.url, max: poolMax, options: sessionOptions() });
    // pool.end() resolves before its connections are closed, and the drop (WITH FORCE) then
    // terminates them: an idle connection's error must not end the run. Queries report their own.
    pool.on("error", () => undefined);
    cleanup.add(() => pool.end());
    const dataset = await datasetOf(pool, options);
    const catalog = await Catalog.load(pool);
    // One connection for the whole run: it finds the database's backends and reads their CPU from /proc.
    const backends = await BackendCpu.connect(database.url);
    if (backends) cleanup.add(() => backends.end());
    else log("PostgreSQL's CPU is not measured: its processes are not readable here (/proc)");

    const service = await startService({ databaseUrl: database.url, poolMax, countStatements: false });
    cleanup.add(() => service.stop());
    log(`service pid ${service.pid} is up at ${service.url}`);
    const counting = await startService({ databaseUrl: database.url, poolMax, countStatements: true });
    cleanup.add(() => counting.stop());
    log(`statement-counting service pid ${counting.pid} is up at ${counting.url}`);
    const recorder = await SqlRecorder.start(database.url, poolMax);
    cleanup.add(() => recorder.stop());

    const apiKey = dataset.users[0].apiKey;
    const compare = options.compare && compareQueries ? { ...options.compare, entries: compareQueries, facts: await compareFacts(pool, dataset) } : null;
    const bench: Bench = { service, counting, recorder, pool, catalog, apiKey, schema: await introspect(service.url, apiKey), options, backends, compare };
    const rows: ResultRow[] = [];
    const notes: Report["notes"] = [];
    const pageSizeChecks: PageSizeCheck[] = [];
    const compareRows: CompareRow[] = [];
    const chosen = workloads(dataset).filter((workload) => !options.only || options.only.some((name) => workload.name.startsWith(name)));
    if (chosen.length === 0) throw new Error(`--only ${options.only!.join(",")} names no workload`);
    for (const workload of chosen) {
      const result = await benchWorkload(bench, workload);
      rows.push(...result.rows);
      notes.push(...result.notes.map((note) => ({ workload: workload.name, note })));
      if (result.pageSizeCheck) pageSizeChecks.push(result.pageSizeCheck);
      compareRows.push(...(result.compare ?? []));
    }
    if (compare) {
      const named = chosen.filter((workload) => compare.entries.has(workload.name)).length;
      if (named === 0) notes.push({ workload: "--compare", note: `${compare.queries} names none of the workloads that ran` });
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
      targets: judgeTargets(rows, pageSizeChecks, peakRssMb, compareRows),
      compare: compare ? ({ url: compare.url, queries: compare.queries, pid: compare.pid, rounds: compare.rounds, rows: compareRows } satisfies CompareReport) : null,
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
  /** The PostgreSQL backends of the bench's database; null where their CPU cannot be read. */
  backends: BackendCpu | null;
  compare: Compare | null;
}

/** `--compare`: the other endpoint, its equivalent queries and the facts their variables may name. */
type Compare = NonNullable<Options["compare"]> & { entries: Map<string, CompareQuery>; facts: Record<string, unknown> };

/** The data set: loaded now, or with --database, the one loaded by an earlier run when there is one. */
async function datasetOf(pool: Pool, options: Options): Promise<Dataset> {
  const size = options.quick ? QUICK_SIZE : FULL_SIZE;
  if (options.database) {
    const stored = await storedDataset(pool, size);
    if (stored) {
      log(`the data set was loaded by an earlier run: reusing it`);
      return stored;
    }
  }
  const dataset = await loadDataset(pool, size);
  log(`loaded the data set in ${dataset.loadSeconds.toFixed(1)} s`);
  if (options.database) await storeDataset(pool, dataset);
  return dataset;
}

/**
 * One timed run with the CPU it cost: the server process's (null without /proc) and that of
 * the PostgreSQL backends of the bench's database (null when they cannot be read).
 */
async function measured(bench: Bench, processCpu: (() => number | null) | null, run: () => Promise<Measurement>): Promise<TimedRun> {
  const window = bench.backends ? await bench.backends.begin() : null;
  const before = processCpu?.() ?? null;
  const result = await run();
  const after = processCpu?.() ?? null;
  const pg = window ? await window.stop() : null;
  return {
    // Without a process to read, the run's own figure stands (a baseline's: the bench process's).
    measurement: {
      ...result,
      cpuMsPerRequest: processCpu ? cpuMsPerRequest(before, after, result.requests) : result.cpuMsPerRequest,
      pgCpuMsPerRequest: pg ? cpuMsPerRequest(0, pg.seconds, result.requests) : null,
    },
    cpuSeconds: before === null || after === null ? null : after - before,
    pgCpuSeconds: pg ? pg.seconds : null,
  };
}

interface TimedRun {
  measurement: Measurement;
  /** The CPU seconds behind its per-request figures, for adding rounds up. */
  cpuSeconds: number | null;
  pgCpuSeconds: number | null;
}

function msText(value: number | null): string {
  return value === null ? "?" : value.toFixed(2);
}

/**
 * One workload: fitted to the schema (or skipped), checked once, its baseline prepared; then
 * the service after a warm-up at each concurrency, and the baseline likewise.
 */
async function benchWorkload(
  bench: Bench,
  workload: Workload,
): Promise<{ rows: ResultRow[]; notes: string[]; pageSizeCheck?: PageSizeCheck; compare?: CompareRow[] }> {
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
  // On a reused database (--database) the count carries on from the last run's.
  const firstRequest = workload.changes && bench.options.database ? await storedRequestCount(bench.pool, workload.name) : 0;
  let requests = firstRequest;
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
    const { measurement } = await measured(bench, service.cpuSeconds, () =>
      driveService({ url: service.url, apiKey, connections, seconds: options.seconds, body }),
    );
    const result = { ...measurement, sql };
    log(
      `${workload.name} @${connections}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, ` +
        `Node ${msText(result.cpuMsPerRequest)} + PG ${msText(result.pgCpuMsPerRequest)} CPU ms/req, ${result.errors} errors`,
    );
    const peakRssMb = service.windowPeakRssMb();
    rows.push({ workload: workload.name, connections, service: result, peakRssMb, baseline: null, ratio: null, targetRatio: workload.targetRatio });
  }
  await service.waitIdle();

  if (setup.baseline) {
    log(`${workload.name}: baseline warm-up`);
    await runBaseline(setup.baseline, variables, Math.max(...CONCURRENCY), options.warmup);
    for (const row of rows) {
      const baseline = setup.baseline;
      row.baseline = (await measured(bench, null, () => runBaseline(baseline, variables, row.connections!, options.seconds))).measurement;
      row.ratio = row.service!.requestsPerSecond / row.baseline.requestsPerSecond;
      log(`${workload.name} @${row.connections}: baseline ${row.baseline.requestsPerSecond.toFixed(0)} req/s, ratio ${row.ratio.toFixed(2)}`);
    }
  }
  if (workload.changes) {
    const wrote = (await sumOfVersions(bench.pool, workload.changes.dealIds)) - versionsBefore;
    const sent = requests - firstRequest;
    notes.push(
      wrote === sent
        ? `every request wrote: ${sent} requests (checks, captures, warm-ups, timed runs, baselines), the deals' versions rose by ${wrote}`
        : `${sent} requests, but the deals' versions rose by ${wrote}: ${sent - wrote} wrote nothing or failed`,
    );
    if (bench.options.database) await storeRequestCount(bench.pool, workload.name, requests);
  }

  const entry = bench.compare?.entries.get(workload.name);
  if (!bench.compare || !entry) return { rows, notes, pageSizeCheck };
  if (workload.changes) {
    notes.push("not compared: it writes to existing deals, whose running count (see the update and move) the other endpoint would break");
    return { rows, notes, pageSizeCheck };
  }
  const compared = await compareWorkload(bench, bench.compare, workload, entry, operation.query);
  notes.push(...compared.notes);
  return { rows, notes, pageSizeCheck, compare: compared.rows };
}

/**
 * `--compare`: dealgraph (A) and the other endpoint (B) on the same workload, in interleaved
 * rounds at each concurrency (A, B, A, B, …: the machine's other load falls on both alike),
 * each round `--seconds` long; each side's figures are summed over its rounds. B gets the
 * file's query, with the workload's variables of the same request number and the file's on top.
 */
async function compareWorkload(
  bench: Bench,
  compare: Compare,
  workload: Workload,
  entry: CompareQuery,
  query: string,
): Promise<{ rows: CompareRow[]; notes: string[] }> {
  const { service, apiKey, options } = bench;
  const otherVariables = (i: number) => compareVariables(entry, workload.variables(i), compare.facts, i);
  const otherBody = (i: number) => JSON.stringify({ query: entry.query, variables: otherVariables(i) });
  const otherKey = compare.sendKey ? apiKey : null;
  const first = await postGraphQL(compare.url, otherKey, { query: entry.query, variables: otherVariables(0) }).then(
    (response) => responseProblem(response),
    (error: Error) => `no answer (${error.message})`,
  );
  if (first) return { rows: [], notes: [`not compared: ${compare.url} answered the first request with ${first}`] };

  const body = (i: number) => JSON.stringify({ query, variables: workload.variables(i) });
  const otherCpu = compare.pid === null ? null : () => cpuSeconds(compare.pid!);
  const otherIdle = () => (compare.pid === null ? sleep(500) : waitIdle(compare.pid));
  log(`${workload.name}: warm-up of ${compare.url}`);
  await driveService({ url: compare.url, apiKey: otherKey, connections: Math.max(...CONCURRENCY), seconds: options.warmup, body: otherBody });
  await otherIdle();

  const rows: CompareRow[] = [];
  for (const connections of CONCURRENCY) {
    const sides = {
      dealgraph: new Rounds(),
      other: new Rounds(),
    };
    // Each run starts once both servers have finished the requests still in flight from the last.
    const bothIdle = async () => {
      await service.waitIdle();
      await otherIdle();
    };
    for (let round = 0; round < compare.rounds; round++) {
      await bothIdle();
      sides.dealgraph.add(
        await measured(bench, service.cpuSeconds, () =>
          driveService({ url: service.url, apiKey, connections, seconds: options.seconds, body, stats: sides.dealgraph.stats }),
        ),
      );
      await bothIdle();
      sides.other.add(
        await measured(bench, otherCpu, () =>
          driveService({ url: compare.url, apiKey: otherKey, connections, seconds: options.seconds, body: otherBody, stats: sides.other.stats }),
        ),
      );
    }
    const row: CompareRow = { workload: workload.name, connections, dealgraph: sides.dealgraph.total(), other: sides.other.total() };
    log(
      `${workload.name} @${connections}: dealgraph ${row.dealgraph.requestsPerSecond.toFixed(0)} req/s, ${compare.url} ${row.other.requestsPerSecond.toFixed(0)} req/s; ` +
        `CPU ms/req Node ${msText(row.dealgraph.cpuMsPerRequest)} vs ${msText(row.other.cpuMsPerRequest)}, PG ${msText(row.dealgraph.pgCpuMsPerRequest)} vs ${msText(row.other.pgCpuMsPerRequest)}`,
    );
    rows.push(row);
  }
  await service.waitIdle();
  await otherIdle();
  return { rows, notes: [] };
}

/** One side's interleaved rounds: latencies and errors collected into one set, requests, time and CPU added up. */
class Rounds {
  readonly stats = new RunStats();
  private seconds = 0;
  private cpu: number | null = 0;
  private pgCpu: number | null = 0;

  add(run: TimedRun): void {
    this.seconds += run.measurement.seconds;
    this.cpu = this.cpu === null || run.cpuSeconds === null ? null : this.cpu + run.cpuSeconds;
    this.pgCpu = this.pgCpu === null || run.pgCpuSeconds === null ? null : this.pgCpu + run.pgCpuSeconds;
  }

  total(): Measurement {
    const total = this.stats.finish(this.seconds);
    return {
      ...total,
      cpuMsPerRequest: cpuMsPerRequest(0, this.cpu, total.requests),
      pgCpuMsPerRequest: cpuMsPerRequest(0, this.pgCpu, total.requests),
    };
  }
}

/** The sum of the deals' versions: one more with every write that changes a deal. */
async function sumOfVersions(pool: Pool, dealIds: string[]): Promise<number> {
  const { rows } = await pool.query<{ sum: string | null }>("SELECT sum(version) FROM pipeline_deal WHERE id = ANY($1::uuid[])", [dealIds]);
  return Number(rows[0].sum ?? 0);
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
