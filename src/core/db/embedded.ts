import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** A running embedded PostgreSQL (PGlite), served over the wire protocol on a Unix socket. */
export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/** The socket name PostgreSQL clients look for in a `host` folder (port 5432). */
const SOCKET_NAME = ".s.PGSQL.5432";
/** The lock: a Unix socket this process listens on for as long as it owns the data folder. */
const LOCK_NAME = "embedded.lock";

/**
 * Starts PGlite on `dataDir` (in memory when absent) behind @electric-sql/pglite-socket, so the
 * ordinary `pg` driver talks to it. The socket server multiplexes protocol messages from all
 * its clients onto one PGlite session, so callers must use exactly one connection at a time.
 *
 * PGlite has no authentication, so it is served on a Unix socket inside the data folder, which
 * is made private to its owner (0700): nothing else on the machine can connect, where a loopback
 * TCP port would let any local user in.
 *
 * A PGlite data folder must never be opened by two processes at once. The lock is a Unix socket
 * this process listens on: the operating system closes it when the process dies, however it dies,
 * so a lock is never mistaken for a live one after a crash or a PID reused (PID 1 in a container).
 */
export async function startEmbeddedPostgres(dataDir?: string): Promise<EmbeddedPostgres> {
  const folder = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dealgraph-embedded-"));
  // sockaddr_un holds about 104 bytes on every Unix: say so rather than fail with EINVAL.
  if (Buffer.byteLength(path.join(folder, SOCKET_NAME)) > 100) {
    throw new Error(`The data folder path ${folder} is too long for the embedded database's Unix socket: use a shorter DATA_DIR.`);
  }
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  fs.chmodSync(folder, 0o700);
  const releaseLock = await lockDataDir(folder);
  const cleanUp = async () => {
    await releaseLock();
    if (!dataDir) fs.rmSync(folder, { recursive: true, force: true });
  };
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
    // The extensions the migrations create (deal search: trigram index, accent-insensitive words).
    const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
    const { unaccent } = await import("@electric-sql/pglite/contrib/unaccent");
    const db = await PGlite.create({ ...(dataDir ? { dataDir: path.join(dataDir, "pglite") } : {}), extensions: { pg_trgm, unaccent } });
    // A socket file left by a process that died: ours to remove, since we hold the lock.
    const socketPath = path.join(folder, SOCKET_NAME);
    fs.rmSync(socketPath, { force: true });
    // One connection is in use at a time (pool of one); the second slot only lets a new
    // connection in while a closed one is still being torn down on the server side.
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 2 });
    await server.start();
    let stopped = false;
    return {
      url: `postgres://postgres@localhost/postgres?host=${encodeURIComponent(folder)}`,
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        await db.close();
        fs.rmSync(socketPath, { force: true });
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Takes the data folder's lock, or says which folder is in use. Returns its release. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = path.join(dataDir, LOCK_NAME);
  for (let attempt = 0; ; attempt++) {
    const server = net.createServer((socket) => socket.end());
    const listening = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      server.once("error", (error) => resolve(error));
      server.listen(lockPath, () => resolve(null));
    });
    if (!listening) {
      // Not kept alive by the lock: a process with nothing else to do may still exit.
      server.unref();
      return () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          fs.rmSync(lockPath, { force: true });
        });
    }
    if (listening.code !== "EADDRINUSE" || attempt > 0) throw listening;
    if (await someoneListens(lockPath)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by another process. ` +
          "Stop that process first, or point DATABASE_URL at a PostgreSQL server.",
      );
    }
    // Nobody answers: the lock of a process that died (or an old pid file). Take it over.
    fs.rmSync(lockPath, { force: true });
  }
}

function someoneListens(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    // ECONNREFUSED: a socket file nobody listens on; ENOTSOCK: the pid file of older versions.
    socket.once("error", () => resolve(false));
  });
}
