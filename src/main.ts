import "reflect-metadata";
import { startApp } from "./app";
import { loadConfig } from "./config";
import { openDatabase } from "./core/db/database";
import { assertPortAvailable } from "./core/http/port";
import { limitHeapGrowth } from "./core/observability/heap";
import { ensureDemo } from "./modules/admin/demo";

/** Start-up: settings checked → database (migrated) → demo data → schema → HTTP server. */
async function main(): Promise<void> {
  const config = loadConfig();
  limitHeapGrowth(config.heapGrowingPercent);
  await assertPortAvailable(config.port, config.host);
  const db = await openDatabase(config);
  const demo = config.seedDemo ? await ensureDemo(db.dataSource, db.embedded ? config.dataDir : null) : null;
  const app = await startApp(config, db.dataSource, { embedded: db.embedded });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, "shutting down: draining requests in flight");
    try {
      await app.stop();
      await db.close();
      app.logger.info("stopped");
      app.logger.flush();
      process.exit(0);
    } catch (error) {
      app.logger.error({ err: error }, "shutdown failed");
      app.logger.flush();
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  // Printed once the signal handlers are in place: whoever waits for this line may stop us at once.
  // The banner is for the person who started the service: plain lines, not log records.
  console.log(`dealgraph is running on ${db.embedded ? `the embedded database in ${config.dataDir}` : "DATABASE_URL"}`);
  console.log(`GraphQL: ${app.url}`);
  if (config.playground) console.log(`Playground: ${app.url} in a browser`);
  if (demo) {
    console.log(`${demo.seeded ? "Seeded the demo organization. " : ""}Demo API key: ${demo.apiKey}`);
    console.log(`Send it as the header  Authorization: Bearer ${demo.apiKey}`);
  }
}

main().catch((error) => {
  console.error("dealgraph failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
