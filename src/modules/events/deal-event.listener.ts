import { logBackgroundError } from "../../core/observability/logger";
import { Client } from "pg";
import { DataSource } from "typeorm";
import { committedEvents } from "../../core/events/committed-events";
import { DealEventRef } from "./deal-event.hub";
import { DEAL_EVENT_CHANNEL } from "./deal-event.outbox";

export interface DealEventFeed {
  stop(): Promise<void>;
}

/**
 * Feeds committed deal events to `publish`.
 *
 * On PostgreSQL: a connection of its own LISTENs on the outbox's channel, so every replica hears
 * every replica's events (NOTIFY is sent at COMMIT, never for a rollback). When that connection
 * drops it reconnects; events committed in between reach no live subscription (webhooks, which
 * read the outbox table, lose nothing).
 *
 * On the embedded database the one connection it serves belongs to the pool (a LISTEN would need
 * a second): there, the units of work of this process announce their events after commit
 * (committed-events.ts). There is only ever one process on an embedded database, so that is
 * every event.
 */
export async function startDealEventFeed(
  db: DataSource,
  { embedded }: { embedded: boolean },
  publish: (ref: DealEventRef) => void,
): Promise<DealEventFeed> {
  if (embedded) {
    const unsubscribe = committedEvents.subscribe((events) => events.forEach(publish));
    return { stop: async () => void unsubscribe() };
  }

  const url = (db.options as { url?: string }).url;
  let client: Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (delayMs: number): Promise<void> => {
    if (stopped) return;
    const listener = new Client({ connectionString: url });
    client = listener;
    listener.on("notification", (message) => {
      if (message.channel !== DEAL_EVENT_CHANNEL || !message.payload) return;
      try {
        publish(JSON.parse(message.payload) as DealEventRef);
      } catch (error) {
        logBackgroundError("bad deal event notification", error);
      }
    });
    const reconnect = () => {
      if (stopped || client !== listener) return;
      client = null;
      listener.end().catch(() => undefined);
      retry = setTimeout(() => void connect(Math.min(delayMs * 2, 10_000)), delayMs);
    };
    listener.on("error", (error) => {
      logBackgroundError("deal event listener", error);
      reconnect();
    });
    listener.on("end", reconnect);
    try {
      await listener.connect();
      await listener.query(`LISTEN ${DEAL_EVENT_CHANNEL}`);
    } catch (error) {
      logBackgroundError("deal event listener", error);
      reconnect();
    }
  };
  // Listening before the service answers: a subscription it accepts hears every later commit.
  const ready = connect(250);
  await ready;

  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await ready;
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}
