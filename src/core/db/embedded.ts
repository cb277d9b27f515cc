import fs from "node:fs";
import path from "node:path";

/** A running embedded PostgreSQL (PGlite), served over the wire protocol on a loopback port. */
export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite on `dataDir` (in memory when absent) behind @electric-sql/pglite-socket, so the
 * ordinary `pg` driver talks to it. The socket server multiplexes protocol messages from all
 * its clients onto one PGlite session, so callers must use exactly one connection at a time.
 *
 * A PGlite data folder must never be opened by two processes at once: a lock file records the
 * owner's pid, and a second process gets a clear error instead of a corrupt database.
 */
export async function startEmbeddedPostgres(dataDir?: string): Promise<EmbeddedPostgres> {
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => undefined;
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
    const db = await PGlite.create(dataDir ? { dataDir: path.join(dataDir, "pglite") } : {});
    // One connection is in use at a time (pool of one); the second slot only lets a new
    // connection in while a closed one is still being torn down on the server side.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 2 });
    await server.start();
    let stopped = false;
    return {
      url: `postgres://postgres@${server.getServerConn()}/postgres`,
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        await db.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, "embedded.lock");
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(fs.readFileSync(lockFile, "utf8"));
      if (isRunning(owner)) {
        throw new Error(
          `The embedded database in ${dataDir} is in use by process ${owner}. ` +
            "Stop that process first, or point DATABASE_URL at a PostgreSQL server.",
        );
      }
      fs.rmSync(lockFile, { force: true }); // left behind by a process that died
    }
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
