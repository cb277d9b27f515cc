import "reflect-metadata";
import { Client } from "pg";
import { createDataSource } from "../../src/core/db/data-source";
import { runMigrations } from "../../src/core/db/database";
import { startEmbeddedPostgres } from "../../src/core/db/embedded";

/**
 * One fresh, migrated database for the whole run. With TEST_DATABASE_URL, a database of its own
 * is created on that server (and dropped afterwards; existing data is never touched); without
 * it, an in-memory embedded PGlite. Test files find it in DEALGRAPH_TEST_DATABASE_URL.
 */
export default async function globalSetup(): Promise<void> {
  const server = process.env.TEST_DATABASE_URL;
  let url: string;
  if (server) {
    const name = `dealgraph_test_${process.pid}_${Date.now().toString(36)}`;
    await withClient(server, (client) => client.query(`CREATE DATABASE ${name}`));
    const target = new URL(server);
    target.pathname = `/${name}`;
    url = target.toString();
    globalThis.__DEALGRAPH_TEARDOWN__ = () => withClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    process.env.DEALGRAPH_TEST_EMBEDDED = "false";
  } else {
    const embedded = await startEmbeddedPostgres();
    url = embedded.url;
    globalThis.__DEALGRAPH_TEARDOWN__ = () => embedded.stop();
    process.env.DEALGRAPH_TEST_EMBEDDED = "true";
  }
  process.env.DEALGRAPH_TEST_DATABASE_URL = url;

  const dataSource = createDataSource({ url, poolMax: 1 });
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function withClient(url: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

declare global {
  // eslint-disable-next-line no-var
  var __DEALGRAPH_TEARDOWN__: (() => Promise<void>) | undefined;
}
