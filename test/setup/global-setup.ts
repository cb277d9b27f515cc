import "reflect-metadata";
import { startEmbeddedPostgres } from "../../src/core/db/embedded";
import { createScratchDatabase, migrateDatabase } from "../../src/core/db/scratch-database";

/**
 * One fresh, migrated database for the whole run. With TEST_DATABASE_URL, a database of its own
 * is created on that server (and dropped afterwards; existing data is never touched); without
 * it, an in-memory embedded PGlite. Test files find it in DEALGRAPH_TEST_DATABASE_URL.
 */
export default async function globalSetup(): Promise<void> {
  const server = process.env.TEST_DATABASE_URL;
  if (server) {
    const database = await createScratchDatabase(server, "dealgraph_test");
    globalThis.__DEALGRAPH_TEARDOWN__ = database.drop;
    process.env.DEALGRAPH_TEST_DATABASE_URL = database.url;
    process.env.DEALGRAPH_TEST_EMBEDDED = "false";
  } else {
    const embedded = await startEmbeddedPostgres();
    globalThis.__DEALGRAPH_TEARDOWN__ = embedded.stop;
    await migrateDatabase(embedded.url);
    process.env.DEALGRAPH_TEST_DATABASE_URL = embedded.url;
    process.env.DEALGRAPH_TEST_EMBEDDED = "true";
  }
}

declare global {
  // eslint-disable-next-line no-var
  var __DEALGRAPH_TEARDOWN__: (() => Promise<void>) | undefined;
}
