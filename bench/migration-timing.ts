import "reflect-metadata";
import { parseArgs } from "node:util";
import { Client, Pool } from "pg";
import { AbstractLogger, DataSource, LogLevel, LogMessage } from "typeorm";
import { createDataSource } from "../src/core/db/data-source";
import { runMigrations } from "../src/core/db/database";
import { migrations } from "../src/core/db/migrations";
import { DealLifecycle1764028800000 } from "../src/core/db/migrations/1764028800000-deal-lifecycle";
import { OrganizationStages1764633600000 } from "../src/core/db/migrations/1764633600000-organization-stages";
import { DealListCoveringIndex1764720000000 } from "../src/core/db/migrations/1764720000000-deal-list-covering-index";
import { DEAL_COUNTS, DealCounts1764806400000 } from "../src/core/db/migrations/1764806400000-deal-counts";
import { PERSON_COUNTS, PersonCounts1764892800000 } from "../src/core/db/migrations/1764892800000-person-counts";
import { DEAL_COUNTS_BY_SHARES, DealSharedWith1764979200000 } from "../src/core/db/migrations/1764979200000-deal-shared-with";
import { KeptCounts } from "../src/core/db/migrations/kept-counts";
import { FULL_SIZE, loadDataset, QUICK_SIZE } from "./dataset";

type Check = { name: string; ok: boolean; detail: string };

const EXCLUSIVE =
  "The migration is one transaction and its first ALTER TABLE takes pipeline_deal's ACCESS EXCLUSIVE lock:\n" +
  "  every read and write of deals waits from there to COMMIT.";

/** The migrations that rewrite, index or count existing rows, by the name --migration takes; what each locks. */
const TIMED: Record<string, { migration: Function; verify: (client: Client) => Promise<Check[]>; locks: string }> = {
  "deal-lifecycle": { migration: DealLifecycle1764028800000, verify: verifyLifecycle, locks: EXCLUSIVE },
  "organization-stages": { migration: OrganizationStages1764633600000, verify: verifyOrganizationStages, locks: EXCLUSIVE },
  "deal-list-covering-index": {
    migration: DealListCoveringIndex1764720000000,
    verify: verifyListIndex,
    locks: "CREATE INDEX takes pipeline_deal's SHARE lock: deals can be read throughout, written only after COMMIT.",
  },
  "deal-counts": {
    migration: DealCounts1764806400000,
    verify: verifyDealCounts,
    locks: "LOCK TABLE … IN SHARE MODE from the start: deals can be read throughout, written only after COMMIT.",
  },
  "person-counts": {
    migration: PersonCounts1764892800000,
    verify: verifyPersonCounts,
    locks: "LOCK TABLE … IN SHARE MODE from the start: people can be read throughout, written only after COMMIT.",
  },
  "deal-shared-with": {
    migration: DealSharedWith1764979200000,
    verify: verifyDealSharedWith,
    locks: "The shares' SHARE lock from the start, then pipeline_deal's ACCESS EXCLUSIVE lock (DROP INDEX, ADD COLUMN): deals wait from there to COMMIT.",
  },
};

const USAGE = `Usage: DATABASE_URL=postgres://… npm run bench:migration [-- --quick] [--keep] [--migration=<name>]

Times a migration that rewrites, indexes or counts existing rows on the bench's data set: creates a database of
its own (dealgraph_migration_…), migrates it up to the migration before, loads the data set as
it stood then, runs that one migration as the service's migrate does and checks what it left;
then drops the database.

  --migration  ${Object.keys(TIMED).join(" or ")} (default deal-lifecycle)
  --quick      the bench's quick data set (a twentieth)
  --keep       keep the database (its name is printed)`;

/** Statements of the timed migration slower than this are listed with their duration. */
const STATEMENT_REPORT_MS = 1;

const started = performance.now();
function log(message: string): void {
  process.stderr.write(`[migration ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      migration: { type: "string", default: "deal-lifecycle" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error(`DATABASE_URL is required.\n\n${USAGE}`);
  const timed = TIMED[values.migration!];
  if (!timed) throw new Error(`--migration must be ${Object.keys(TIMED).join(" or ")}\n\n${USAGE}`);
  const timedName = timed.migration.name;
  const target = migrations.findIndex((migration) => migration === timed.migration);
  if (target < 0) throw new Error(`${timedName} is not in the migration list`);
  const lifecycleBefore = target > migrations.indexOf(DealLifecycle1764028800000);

  const name = `dealgraph_migration_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${process.pid}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const drop = async () => {
    if (values.keep) return log(`kept the database ${name}`);
    await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    log(`dropped the database ${name}`);
  };
  process.once("SIGINT", () => {
    log("interrupted; dropping the database");
    void drop().finally(() => process.exit(130));
  });

  try {
    const before = migrations.slice(0, target);
    log(`created ${name}; migrating up to ${before[before.length - 1].name}`);
    await migrate(databaseUrl, before);

    // No statement timeout: loading the data set and the migration are long by nature.
    const pool = new Pool({ connectionString: databaseUrl, max: 2, options: "-c jit=off" });
    pool.on("error", () => undefined);
    let counts: Record<string, number>;
    try {
      const dataset = await loadDataset(pool, values.quick ? QUICK_SIZE : FULL_SIZE, { lifecycle: lifecycleBefore });
      log(`loaded the ${values.quick ? "quick" : "full"} data set in ${dataset.loadSeconds.toFixed(1)} s`);
      // As a production table is: vacuumed (hint bits set, visibility map built) and analysed.
      await pool.query("VACUUM (ANALYZE) pipeline_deal");
      counts = await rowCounts(pool);
    } finally {
      await pool.end();
    }
    console.log(`\nBefore ${timedName}:`);
    console.log(
      `  pipeline_deal ${fmt(counts.deals)} rows (${fmt(counts.referrals)} referrals, ${fmt(counts.opportunities)} opportunities; ` +
        `${fmt(counts.closed)} in a won or lost stage), ${counts.tableMb.toFixed(1)} MB with its indexes`,
    );

    const timing = await migrate(databaseUrl, migrations.slice(0, target + 1));
    if (timing.applied.length !== 1 || timing.applied[0] !== timedName) {
      throw new Error(`expected to apply ${timedName} alone, applied: ${timing.applied.join(", ") || "nothing"}`);
    }
    console.log(`\n${timedName} took ${(timing.ms / 1000).toFixed(2)} s (migrate, one transaction), of which:`);
    for (const statement of timing.statements) console.log(`  ${statement.ms.toFixed(0).padStart(7)} ms  ${statement.sql}`);
    console.log(`  ${timed.locks}`);

    const checks = await withClient(databaseUrl, timed.verify);
    console.log("\nAfter it:");
    for (const check of checks) console.log(`  ${check.ok ? "✓" : "✗"} ${check.name}: ${check.detail}`);
    return checks.every((check) => check.ok) ? 0 : 1;
  } finally {
    await drop();
  }
}

interface Timing {
  applied: string[];
  ms: number;
  statements: Array<{ ms: number; sql: string }>;
}

/**
 * Runs the pending ones of `list` as the service's migrate does (runMigrations: advisory lock,
 * one transaction per migration), over one connection, timing the whole and every statement
 * that took longer than STATEMENT_REPORT_MS.
 */
async function migrate(url: string, list: typeof migrations): Promise<Timing> {
  const logger = new StatementTimes();
  const base = createDataSource({ url, poolMax: 1 });
  const dataSource = new DataSource({ ...base.options, migrations: list, logger, maxQueryExecutionTime: STATEMENT_REPORT_MS });
  await dataSource.initialize();
  try {
    const start = performance.now();
    const applied = await runMigrations(dataSource);
    return { applied, ms: performance.now() - start, statements: logger.slow };
  } finally {
    await dataSource.destroy();
  }
}

/** Keeps TypeORM's "slow query" reports (every statement over maxQueryExecutionTime), quietly. */
class StatementTimes extends AbstractLogger {
  readonly slow: Array<{ ms: number; sql: string }> = [];

  override logQuerySlow(time: number, query: string): void {
    this.slow.push({ ms: time, sql: query.replace(/\s+/g, " ").trim().slice(0, 110) });
  }

  protected writeLog(_level: LogLevel, _message: LogMessage | LogMessage[]): void {}
}

async function rowCounts(pool: Pool): Promise<{ deals: number; referrals: number; opportunities: number; closed: number; tableMb: number }> {
  const { rows } = await pool.query(`
    SELECT count(*)::int AS deals,
           count(*) FILTER (WHERE kind = 'referral')::int AS referrals,
           count(*) FILTER (WHERE kind = 'opportunity')::int AS opportunities,
           count(*) FILTER (WHERE stage.is_won OR stage.is_lost)::int AS closed,
           pg_total_relation_size('pipeline_deal') / 1048576.0 AS "tableMb"
      FROM pipeline_deal JOIN stage ON stage.id = pipeline_deal.stage_id`);
  return { ...rows[0], tableMb: Number(rows[0].tableMb) };
}

/** What the lifecycle migration promises for every deal that existed before it. */
async function verifyLifecycle(client: Client): Promise<Check[]> {
  const one = async (sql: string) => Number((await client.query(sql)).rows[0].n);
  const deals = await one("SELECT count(*) AS n FROM pipeline_deal");
  const history = await one("SELECT count(*) AS n FROM deal_stage_change");
  const notOne = await one(`
    SELECT count(*) AS n FROM pipeline_deal deal
     WHERE (SELECT count(*) FROM deal_stage_change h WHERE h.organization_id = deal.organization_id AND h.deal_id = deal.id) <> 1`);
  const wrongEntry = await one(`
    SELECT count(*) AS n FROM deal_stage_change h JOIN pipeline_deal deal ON deal.organization_id = h.organization_id AND deal.id = h.deal_id
     WHERE h.from_stage_id IS NOT NULL OR h.to_stage_id <> deal.stage_id OR h.changed_at <> deal.created_at OR h.changed_by_id <> deal.owner_id`);
  const entered = await one("SELECT count(*) AS n FROM pipeline_deal WHERE stage_entered_at IS DISTINCT FROM created_at");
  const closedCounts = (
    await client.query(`
      SELECT count(*) FILTER (WHERE stage.is_won OR stage.is_lost)::int AS closing,
             count(*) FILTER (WHERE deal.closed_at IS NOT NULL)::int AS closed,
             count(*) FILTER (WHERE (deal.closed_at IS NOT NULL) <> (stage.is_won OR stage.is_lost)
                                 OR deal.closed_at IS DISTINCT FROM CASE WHEN stage.is_won OR stage.is_lost THEN deal.created_at END)::int AS wrong
        FROM pipeline_deal deal JOIN stage ON stage.id = deal.stage_id`)
  ).rows[0];
  const other = await one("SELECT count(*) AS n FROM pipeline_deal WHERE version <> 1 OR archived_at IS NOT NULL OR archived_by_id IS NOT NULL");
  return [
    { name: "one history row per deal", ok: notOne === 0 && history === deals, detail: `${fmt(history)} rows for ${fmt(deals)} deals; ${fmt(notOne)} deals without exactly one` },
    { name: "each is the creation entry", ok: wrongEntry === 0, detail: `${fmt(wrongEntry)} not (no from stage, to the deal's stage, at created_at, by the owner)` },
    { name: "stage_entered_at = created_at", ok: entered === 0, detail: `${fmt(entered)} deals differ` },
    {
      name: "closed_at set exactly for deals in won/lost stages (= created_at)",
      ok: closedCounts.wrong === 0 && closedCounts.closed === closedCounts.closing,
      detail: `${fmt(closedCounts.closed)} closed, ${fmt(closedCounts.closing)} in won/lost stages, ${fmt(closedCounts.wrong)} wrong`,
    },
    { name: "version 1, not archived", ok: other === 0, detail: `${fmt(other)} deals differ` },
  ];
}

/** What the organization-stages migration promises: every deal, history entry and event on its organization's own stages. */
async function verifyOrganizationStages(client: Client): Promise<Check[]> {
  const one = async (sql: string) => Number((await client.query(sql)).rows[0].n);
  const organizations = await one("SELECT count(*) AS n FROM organization");
  const stages = await one("SELECT count(*) AS n FROM stage");
  const foreignDeals = await one(`
    SELECT count(*) AS n FROM pipeline_deal deal
     WHERE NOT EXISTS (SELECT 1 FROM stage s WHERE s.organization_id = deal.organization_id AND s.id = deal.stage_id
                          AND s.pipeline = CASE deal.kind WHEN 'referral' THEN 'referral' ELSE 'sales' END)`);
  const foreignHistory = await one(`
    SELECT count(*) AS n FROM deal_stage_change h
     WHERE NOT EXISTS (SELECT 1 FROM stage s WHERE s.organization_id = h.organization_id AND s.id = h.to_stage_id)`);
  const closedRight = await one(`
    SELECT count(*) AS n FROM pipeline_deal deal JOIN stage s ON s.organization_id = deal.organization_id AND s.id = deal.stage_id
     WHERE (deal.closed_at IS NOT NULL) <> (s.is_won OR s.is_lost)`);
  return [
    { name: "12 stages per organization, none shared", ok: stages === organizations * 12, detail: `${fmt(stages)} stages for ${fmt(organizations)} organizations` },
    { name: "every deal in a stage of its organization's own pipeline", ok: foreignDeals === 0, detail: `${fmt(foreignDeals)} deals elsewhere` },
    { name: "every history entry to its organization's stage", ok: foreignHistory === 0, detail: `${fmt(foreignHistory)} entries elsewhere` },
    { name: "closed exactly in won/lost stages, as before", ok: closedRight === 0, detail: `${fmt(closedRight)} deals differ` },
  ];
}

async function verifyListIndex(client: Client): Promise<Check[]> {
  const indexes = (await client.query("SELECT indexname FROM pg_indexes WHERE tablename = 'pipeline_deal'")).rows.map((row) => row.indexname);
  await client.query("VACUUM pipeline_deal");
  const plan = (
    await client.query(`EXPLAIN SELECT count(*) FROM pipeline_deal deal
       WHERE deal.organization_id = (SELECT id FROM organization LIMIT 1) AND deal.kind = 'referral' AND deal.archived_at IS NULL
         AND (deal.visibility_mode = 'global' OR deal.workspace_id = ANY (ARRAY(SELECT id FROM workspace)))`)
  ).rows
    .map((row) => row["QUERY PLAN"])
    .join("\n");
  return [
    { name: "the covering index replaces the plain one", ok: indexes.includes("pipeline_deal_list_idx") && !indexes.includes("pipeline_deal_list_created_idx"), detail: indexes.join(", ") },
    { name: "a list's count reads the index alone", ok: plan.includes("Index Only Scan using pipeline_deal_list_idx"), detail: plan.split("\n").find((line) => line.includes("on pipeline_deal")) ?? plan },
  ];
}

/** Whether `spec`'s kept counts, summed over their slots, equal its table's rows key by key. */
async function keptCountsExact(client: Client, spec: KeptCounts, rows: string): Promise<Check> {
  const names = spec.key.map((part) => part.name).join(", ");
  const [{ differing, keys }] = (
    await client.query(`
      WITH kept AS (SELECT ${names}, sum(${spec.column}) AS n FROM ${spec.counts} GROUP BY ${names}),
           actual AS (SELECT ${spec.key.map((part) => `${part.of} AS ${part.name}`).join(", ")}, count(*) AS n FROM ${spec.table} GROUP BY ${names})
      SELECT count(*) FILTER (WHERE kept.n IS DISTINCT FROM actual.n)::int AS differing, count(*)::int AS keys
        FROM kept FULL JOIN actual USING (${names})`)
  ).rows;
  return { name: `the kept counts equal the ${rows}, key by key`, ok: differing === 0, detail: `${fmt(keys)} keys, ${fmt(differing)} differ` };
}

async function verifyDealCounts(client: Client): Promise<Check[]> {
  const exact = await keptCountsExact(client, DEAL_COUNTS, "deals");
  await client.query("VACUUM pipeline_deal");
  const plan = (
    await client.query(`EXPLAIN SELECT count(*) FROM pipeline_deal deal
       WHERE deal.organization_id = (SELECT id FROM organization LIMIT 1) AND deal.kind = ANY('{opportunity}') AND deal.visibility_mode = 'shared'
         AND deal.archived_at IS NULL AND deal.workspace_id <> ALL (ARRAY(SELECT id FROM workspace LIMIT 1))`)
  ).rows
    .map((row) => row["QUERY PLAN"])
    .join("\n");
  return [
    exact,
    { name: "the deals shared from elsewhere are counted from their partial index", ok: plan.includes("Index Only Scan using pipeline_deal_shared_idx"), detail: plan.split("\n").find((line) => line.includes("on pipeline_deal")) ?? plan },
  ];
}

async function verifyDealSharedWith(client: Client): Promise<Check[]> {
  const [{ deals, shared, differing }] = (
    await client.query(`
      SELECT count(*)::int AS deals, count(*) FILTER (WHERE deal.shared_with <> '{}')::int AS shared,
             count(*) FILTER (WHERE deal.shared_with IS DISTINCT FROM ARRAY(
               SELECT share.workspace_id FROM pipeline_deal_share share
                WHERE share.organization_id = deal.organization_id AND share.deal_id = deal.id ORDER BY share.workspace_id))::int AS differing
        FROM pipeline_deal deal`)
  ).rows;
  const indexes = (await client.query("SELECT indexname FROM pg_indexes WHERE tablename = 'pipeline_deal'")).rows.map((row) => row.indexname);
  return [
    { name: "every deal's shared_with holds its shares' workspaces, in order", ok: differing === 0 && shared > 0, detail: `${fmt(deals)} deals, ${fmt(shared)} shared, ${fmt(differing)} differ` },
    await keptCountsExact(client, DEAL_COUNTS_BY_SHARES, "deals"),
    { name: "the shared deals' partial index is gone", ok: !indexes.includes("pipeline_deal_shared_idx"), detail: indexes.join(", ") },
  ];
}

async function verifyPersonCounts(client: Client): Promise<Check[]> {
  return [await keptCountsExact(client, PERSON_COUNTS, "people")];
}

/** Runs `work` on a connection of its own to `url`. */
async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function onServer(url: string, sql: string): Promise<void> {
  await withClient(url, (client) => client.query(sql));
}

const fmt = (n: number) => n.toLocaleString("en-US");

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`migration timing failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
