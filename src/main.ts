import "reflect-metadata";
import { startApp } from "./app";
import { loadConfig } from "./config";
import { openDatabase } from "./core/db/database";
import { ensureDemo } from "./modules/admin/demo";

/** Start-up: database (migrated) → demo data → schema → HTTP server. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config);
  const demo = config.seedDemo ? await ensureDemo(db.dataSource, config.dataDir) : null;
  const app = await startApp(config, db.dataSource, { embedded: db.embedded });

  console.log(`dealgraph is running on ${db.embedded ? `the embedded database in ${config.dataDir}` : "DATABASE_URL"}`);
  console.log(`GraphQL: ${app.url}`);
  if (demo) {
    console.log(`${demo.seeded ? "Seeded the demo organization. " : ""}Demo API key: ${demo.apiKey}`);
    console.log(`Send it as the header  Authorization: Bearer ${demo.apiKey}`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, shutting down`);
    try {
      await app.stop();
      await db.close();
      process.exit(0);
    } catch (error) {
      console.error("Shutdown failed:", error);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  console.error("dealgraph failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
