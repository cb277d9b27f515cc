import { Client } from "pg";
import { createDataSource } from "./data-source";
import { runMigrations } from "./database";

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A new database on the server of `serverUrl`, named `<prefix>_<time>_<pid>` and migrated, for
 * a test run or a benchmark. Existing databases are never touched; `drop()` removes only this one.
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${process.pid}`;
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const target = new URL(serverUrl);
  target.pathname = `/${name}`;
  const database: ScratchDatabase = {
    name,
    url: target.toString(),
    drop: () => onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
  try {
    await migrateDatabase(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

/** Brings the database at `url` up to date, over one connection (enough for the embedded one too). */
export async function migrateDatabase(url: string): Promise<void> {
  const dataSource = createDataSource({ url, poolMax: 1 });
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
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
