import { Client } from "pg";
import { createDataSource } from "../src/core/db/data-source";
import { runMigrations } from "../src/core/db/database";

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database on the server of `serverUrl`, migrated with the service's own
 * migrations. Existing databases are never touched; `drop()` removes only this one.
 */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `dealgraph_bench_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${process.pid}`;
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const target = new URL(serverUrl);
  target.pathname = `/${name}`;
  const url = target.toString();
  const database: BenchDatabase = {
    name,
    url,
    drop: () => onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
  try {
    const dataSource = createDataSource({ url, poolMax: 1 });
    await dataSource.initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

async function onServer(url: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
