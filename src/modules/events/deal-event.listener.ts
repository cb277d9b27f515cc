import { logBackgroundError } from "../../core/observability/logger";
import { committedEvents } from "../../core/events/committed-events";
import { Notifications } from "../../core/db/notifications";
import { DealEventRef } from "./deal-event.hub";
import { DEAL_EVENT_CHANNEL } from "./deal-event.outbox";

export interface DealEventFeed {
  stop(): Promise<void>;
}

/**
 * Feeds committed deal events to `publish`.
 *
 * On PostgreSQL: the service's notification listener (core/db/notifications.ts) LISTENs on the
 * outbox's channel, so every replica hears every replica's events (NOTIFY is sent at COMMIT,
 * never for a rollback). When that connection drops it reconnects; events committed in between
 * reach no live subscription (webhooks, which read the outbox table, lose nothing).
 *
 * On the embedded database the units of work of this process announce their events after commit
 * (committed-events.ts): there is only ever one process on an embedded database, so that is every
 * event.
 */
export function startDealEventFeed(
  notifications: Notifications,
  { embedded }: { embedded: boolean },
  publish: (ref: DealEventRef) => void,
): DealEventFeed {
  const unsubscribe = embedded
    ? committedEvents.subscribe((events) => events.forEach(publish))
    : notifications.subscribe(DEAL_EVENT_CHANNEL, (payload) => {
        try {
          publish(JSON.parse(payload) as DealEventRef);
        } catch (error) {
          logBackgroundError("bad deal event notification", error);
        }
      });
  return { stop: async () => void unsubscribe() };
}
