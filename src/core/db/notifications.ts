import { EventEmitter } from "node:events";
import { Client, Notification } from "pg";
import { DataSource } from "typeorm";
import { logBackgroundError } from "../observability/logger";

/** What the pooled connections of a DataSource hear (see createDataSource and `listen` below). */
const heardOnPool = new WeakMap<DataSource, EventEmitter>();

/** Called by createDataSource: every connection of `db`'s pool passes the notifications it hears to `heard`. */
export function registerPoolNotifications(db: DataSource, heard: EventEmitter): void {
  heardOnPool.set(db, heard);
}

/** The listener connection's application_name, by which tests (and operators) find its backend. */
export const LISTENER_APPLICATION_NAME = "dealgraph-listener";

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 10_000;

export interface Notifications {
  /**
   * True while every channel is listened to: a notification committed now will be heard. A cache
   * that notifications keep true must not be trusted while this is false.
   */
  readonly listening: boolean;
  /** Calls `handler` with the payload of each notification on `channel` (one of those started with). */
  subscribe(channel: string, handler: (payload: string) => void): () => void;
  /** Calls `handler` each time `listening` changes (false as the connection is lost, true once listening again). */
  onListeningChange(handler: (listening: boolean) => void): () => void;
  stop(): Promise<void>;
}

/**
 * PostgreSQL LISTEN for the service's channels, on one connection for all of them.
 *
 * On a PostgreSQL server: a connection of its own (not from the pool, which would hand it back).
 * When it drops, `listening` turns false at once and it reconnects with a growing delay
 * (250 ms doubling to 10 s); once it LISTENs again `listening` turns true. What was notified in
 * between is not heard: whoever relies on it must treat the gap as "anything may have changed".
 *
 * On the embedded database every connection is the same single PGlite session, and this process
 * makes every change through it: the LISTEN is sent through the pool, and a NOTIFY comes back to
 * the pooled connection as part of the answer to the COMMIT that sent it, before the writer
 * hears that its transaction committed (data-source.ts passes it here). `listening` is always true.
 */
export async function startNotifications(db: DataSource, { embedded, channels }: { embedded: boolean; channels: string[] }): Promise<Notifications> {
  const handlers = new Map<string, Set<(payload: string) => void>>(channels.map((channel) => [channel, new Set()]));
  const listeningHandlers = new Set<(listening: boolean) => void>();
  let listening = false;
  const setListening = (value: boolean) => {
    if (listening === value) return;
    listening = value;
    for (const handler of listeningHandlers) {
      try {
        handler(value);
      } catch (error) {
        logBackgroundError("notification listener state handler", error);
      }
    }
  };
  const deliver = (message: Notification) => {
    for (const handler of handlers.get(message.channel) ?? []) {
      try {
        handler(message.payload ?? "");
      } catch (error) {
        logBackgroundError(`notification handler of ${message.channel}`, error);
      }
    }
  };
  const listenSql = channels.map((channel) => `LISTEN ${quoteIdentifier(channel)}`).join("; ");

  const control = embedded ? await listenOnPool(db, listenSql, deliver, setListening) : await listenOnOwnConnection(db, listenSql, deliver, setListening);
  return {
    get listening() {
      return listening;
    },
    subscribe(channel, handler) {
      const set = handlers.get(channel);
      if (!set) throw new Error(`Not listening on channel ${channel}: start the notifications with it.`);
      set.add(handler);
      return () => void set.delete(handler);
    },
    onListeningChange(handler) {
      listeningHandlers.add(handler);
      return () => void listeningHandlers.delete(handler);
    },
    async stop() {
      await control.stop();
      setListening(false);
      handlers.clear();
      listeningHandlers.clear();
    },
  };
}

async function listenOnOwnConnection(
  db: DataSource,
  listenSql: string,
  deliver: (message: Notification) => void,
  setListening: (listening: boolean) => void,
): Promise<{ stop(): Promise<void> }> {
  const url = (db.options as { url?: string }).url;
  let client: Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (delayMs: number): Promise<void> => {
    if (stopped) return;
    // keepAlive: a connection lost without a word (a network cut) is noticed by the OS, not never.
    const listener = new Client({ connectionString: url, application_name: LISTENER_APPLICATION_NAME, keepAlive: true });
    client = listener;
    listener.on("notification", deliver);
    const reconnect = () => {
      if (stopped || client !== listener) return;
      client = null;
      setListening(false);
      listener.end().catch(() => undefined);
      retry = setTimeout(() => void connect(Math.min(delayMs * 2, LONGEST_RETRY_MS)), delayMs);
    };
    listener.on("error", (error) => {
      logBackgroundError("notification listener", error);
      reconnect();
    });
    listener.on("end", reconnect);
    try {
      await listener.connect();
      await listener.query(listenSql);
      if (client !== listener) return;
      setListening(true);
      // Listening again: the next loss starts over from the shortest delay.
      delayMs = FIRST_RETRY_MS;
    } catch (error) {
      logBackgroundError("notification listener", error);
      reconnect();
    }
  };
  // Listening before the service answers: whatever relies on it hears every later commit.
  const ready = connect(FIRST_RETRY_MS);
  await ready;

  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await ready;
      const last = client;
      client = null;
      await last?.end().catch(() => undefined);
    },
  };
}

async function listenOnPool(
  db: DataSource,
  listenSql: string,
  deliver: (message: Notification) => void,
  setListening: (listening: boolean) => void,
): Promise<{ stop(): Promise<void> }> {
  const heard = heardOnPool.get(db);
  if (!heard) throw new Error("The DataSource was not made by createDataSource: its connections pass on no notifications.");
  heard.on("notification", deliver);
  // The PGlite session keeps its LISTEN whichever connection sent it; the pool's connections are
  // all that session, so one LISTEN through the pool covers them.
  await db.query(listenSql);
  setListening(true);
  return {
    async stop() {
      heard.off("notification", deliver);
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
