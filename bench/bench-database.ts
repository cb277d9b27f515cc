import { Client, Pool } from "pg";
import { migrateDatabase } from "../src/core/db/scratch-database";
import { Dataset, DatasetSize } from "./dataset";

/**
 * `--database NAME`: a bench database that outlives the run, so that a second GraphQL server
 * (PostGraphile, for `--compare`) can serve the same data. The first run creates, migrates and
 * loads it, and stores what the workloads need to know about the data set (ids, the bench
 * users' API keys) in a table of its own; later runs read that back instead of loading again.
 * It also keeps the running counts of the workloads that write to existing deals, which must
 * carry on from where the last run stopped (see Workload.changes).
 */
export interface NamedBenchDatabase {
  name: string;
  url: string;
  /** True when this run created it. */
  created: boolean;
}

const STATE_TABLE = "bench_state";
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openNamedDatabase(serverUrl: string, name: string): Promise<NamedBenchDatabase> {
  if (!NAME.test(name)) throw new Error(`--database ${name}: use lowercase letters, digits and _ (a PostgreSQL identifier)`);
  const server = new Client({ connectionString: serverUrl });
  await server.connect();
  let created = false;
  try {
    const { rowCount } = await server.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) {
      await server.query(`CREATE DATABASE ${name}`);
      created = true;
    }
  } finally {
    await server.end();
  }
  const target = new URL(serverUrl);
  target.pathname = `/${name}`;
  const url = target.toString();
  // Brings a database this run made, or one an older bench left, up to the code's migrations.
  await migrateDatabase(url);
  return { name, url, created };
}

/** The data set a named database was loaded with, or null when it has none yet (or one of another size). */
export async function storedDataset(pool: Pool, size: DatasetSize): Promise<Dataset | null> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)`);
  const { rows } = await pool.query<{ value: Dataset }>(`SELECT value FROM ${STATE_TABLE} WHERE key = 'dataset'`);
  if (rows.length === 0) return null;
  const dataset = rows[0].value;
  // jsonb keeps no key order: compare key by key.
  if (Object.entries(size).some(([kind, count]) => dataset.size[kind as keyof DatasetSize] !== count)) {
    throw new Error(
      `the bench database holds a data set of another size (${JSON.stringify(dataset.size)}): use the same --quick setting, or another --database name`,
    );
  }
  return dataset;
}

export async function storeDataset(pool: Pool, dataset: Dataset): Promise<void> {
  await setState(pool, "dataset", dataset);
}

/** How many requests a workload that writes to existing deals has sent in earlier runs on this database. */
export async function storedRequestCount(pool: Pool, workload: string): Promise<number> {
  const { rows } = await pool.query<{ value: number }>(`SELECT value FROM ${STATE_TABLE} WHERE key = $1`, [`requests:${workload}`]);
  return rows.length === 0 ? 0 : Number(rows[0].value);
}

export async function storeRequestCount(pool: Pool, workload: string, count: number): Promise<void> {
  await setState(pool, `requests:${workload}`, count);
}

async function setState(pool: Pool, key: string, value: unknown): Promise<void> {
  await pool.query(
    `INSERT INTO ${STATE_TABLE} (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [key, JSON.stringify(value)],
  );
}
