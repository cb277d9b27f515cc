import { Pool } from "pg";
import { SqlRecorder } from "./capture";
import { PreparedOperation, project } from "./graphql";
import { Measurement, RunStats } from "./measurement";
import { Catalog, RecordSet } from "./records";
import { planReplay, replay, ReplayPlan } from "./replay";
import { Workload } from "./workloads";

/** The floor for one workload: the service's own SQL through plain `pg`, plus the response built by hand for reads. */
export interface Baseline {
  /** One request's worth of work. */
  run(variables: Record<string, unknown>): Promise<unknown>;
  /** SQL statements per request. */
  statements: number;
}

export interface BaselineSetup {
  /** Null when there can be none; the notes say why. */
  baseline: Baseline | null;
  notes: string[];
}

/**
 * Captures the statements the service sends for the workload's first request (after one
 * request that warms the service's caches), twice, to tell the ids the service makes from the
 * ids it is given; then checks that the replay works, and for reads that it rebuilds exactly
 * the service's response.
 */
export async function prepareBaseline(options: {
  pool: Pool;
  catalog: Catalog;
  recorder: SqlRecorder;
  apiKey: string;
  workload: Workload;
  /** The workload's variables as the bench hands them out: for writes to existing deals, the next ones at every call. */
  variables: Workload["variables"];
  operation: PreparedOperation;
}): Promise<BaselineSetup> {
  const { pool, catalog, recorder, apiKey, workload, operation } = options;
  const notes: string[] = [];
  // The same request every time, except for writes that change a deal: the same again would
  // change nothing (and send other SQL), so each capture changes the next deal.
  const record = () => recorder.record(apiKey, operation.query, options.variables(0));

  await record();
  const first = await record();
  const problem = responseError(first.body);
  if (problem) return { baseline: null, notes: [`no baseline: the service answered with an error (${problem})`] };
  let plan: ReplayPlan;
  try {
    plan = planReplay(first, await record());
  } catch (error) {
    return { baseline: null, notes: [`no baseline: ${(error as Error).message}`] };
  }
  if (first.headerCount !== first.statements.length) {
    notes.push(`captured ${first.statements.length} statements, but x-sql-statements said ${first.headerCount}`);
  }
  if (plan.wrapInTransaction) notes.push(`the service sends its ${plan.writes} writes outside a transaction; the baseline wraps them in one`);
  // What a write costs in SQL, statement by statement (reads are described by their responses).
  if (!workload.respond) notes.push(`the statements of one request: ${first.statements.map((statement) => describeStatement(statement.text)).join(" · ")}`);
  const statements = first.statements.length + (plan.wrapInTransaction ? 2 : 0);

  const respond = workload.respond;
  const baseline: Baseline = respond
    ? {
        statements,
        async run(vars) {
          const records = new RecordSet(catalog, await replay(pool, plan, vars), plan.template.statements.map((statement) => statement.text));
          return JSON.stringify({ data: { [operation.rootKey]: project(respond(records, vars), operation.selection) } });
        },
      }
    : { statements, run: (vars) => replay(pool, plan, vars) };

  try {
    if (respond) {
      const difference = firstDifference(JSON.parse(first.body), JSON.parse((await baseline.run(first.variables)) as string));
      if (difference) notes.push(`the baseline's hand-built response differs from the service's: ${difference}`);
    } else {
      await baseline.run(options.variables(1));
    }
  } catch (error) {
    return { baseline: null, notes: [...notes, `no baseline: replaying the service's SQL failed (${(error as Error).message})`] };
  }
  return { baseline, notes };
}

/**
 * `concurrency` workers, each running one request after another until `seconds` have passed:
 * the same closed loop autocannon drives the service with.
 */
export async function runBaseline(
  baseline: Baseline,
  variables: (i: number) => Record<string, unknown>,
  concurrency: number,
  seconds: number,
): Promise<Measurement> {
  const stats = new RunStats();
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const vars = variables(next++);
      const sent = performance.now();
      try {
        await baseline.run(vars);
        stats.statements(baseline.statements);
      } catch (error) {
        stats.error(() => (error as Error).message);
      }
      stats.latency(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const measurement = stats.finish((performance.now() - started) / 1000);
  // This process's CPU: the baseline runs in it, and nothing else does meanwhile.
  const used = process.cpuUsage(cpu);
  measurement.cpuMsPerRequest = measurement.requests > 0 ? (used.user + used.system) / 1000 / measurement.requests : null;
  return measurement;
}

/**
 * A statement in a few words: its verbs and tables, e.g. "SELECT pipeline_deal, stage FOR UPDATE"
 * or "UPDATE pipeline_deal + INSERT deal_stage_change" for one statement with a data-modifying CTE.
 */
function describeStatement(text: string): string {
  const transaction = /^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)\b/i.exec(text);
  if (transaction) return transaction[1].toUpperCase();
  const locks = /\bFOR\s+(NO\s+KEY\s+)?UPDATE\b/i.test(text);
  const body = text.replace(/\bFOR\s+(NO\s+KEY\s+)?UPDATE(\s+OF\s+"?\w+"?)?/gi, "");
  const writes = new Map<string, Set<string>>();
  const reads = new Set<string>();
  for (const [, verb, table] of body.matchAll(/\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|FROM|JOIN)\s+"?([a-z_]\w*)"?(?![\w".])/gi)) {
    const kind = verb.split(/\s+/)[0].toUpperCase();
    if (kind === "FROM" || kind === "JOIN") {
      // unnest(…) and sub-selects are not tables (and `extract(epoch FROM "t"."c")` is not a read of t).
      if (!/^(unnest|select|lateral)$/i.test(table)) reads.add(table);
    } else {
      writes.set(kind, (writes.get(kind) ?? new Set()).add(table));
    }
  }
  const ctes = new Set([...body.matchAll(/(?:\bWITH|,)\s+"?(\w+)"?\s+AS\s*\(/gi)].map((match) => match[1]));
  const written = new Set([...writes.values()].flatMap((names) => [...names]));
  const read = [...reads].filter((table) => !ctes.has(table) && !written.has(table));
  const parts = [...writes].map(([verb, names]) => `${verb} ${[...names].join(", ")}`);
  if (read.length > 0 || parts.length === 0) parts.unshift(`SELECT ${read.join(", ")}`.trim());
  return parts.join(" + ") + (locks ? " FOR UPDATE" : "");
}

function responseError(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
    const error = parsed.errors?.[0];
    return error ? `${error.extensions?.code ?? "ERROR"}: ${error.message}` : null;
  } catch {
    return `not JSON: ${body.slice(0, 100)}`;
  }
}

/** Where two JSON values first differ, as `path: expected … got …`, or null when they are equal. */
function firstDifference(expected: unknown, actual: unknown, path = "$"): string | null {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return `${path}: ${expected.length} items, the baseline has ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const difference = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (difference) return difference;
    }
    return null;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const difference = firstDifference(expected[key], actual[key], `${path}.${key}`);
      if (difference) return difference;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : `${path}: the service has ${JSON.stringify(expected)}, the baseline ${JSON.stringify(actual)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
