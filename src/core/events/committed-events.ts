import { logBackgroundError } from "../observability/logger";
/**
 * Events a unit of work recorded in the outbox, announced in this process once its transaction
 * has committed (never before, never for a rolled-back one): what in-process listeners (the
 * webhook worker's wake-up, subscriptions on the embedded database) react to. The outbox table
 * stays the record; a listener that misses an announcement loses nothing durable.
 */
export interface RecordedEvent {
  id: string;
  organizationId: string;
  dealId: string;
  kind: string;
  /** The event's place in commit order (deal_event.position). */
  position: number;
  /** How many webhook deliveries the write queued for it. */
  deliveries: number;
}

type Listener = (events: RecordedEvent[]) => void;

const listeners = new Set<Listener>();

export const committedEvents = {
  /** Calls `listener` with each committed unit of work's events; answers the unsubscribe. */
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  publish(events: RecordedEvent[]): void {
    if (events.length === 0) return;
    for (const listener of listeners) {
      try {
        listener(events);
      } catch (error) {
        // The write has committed: a listener's failure must not turn its answer into an error.
        logBackgroundError("event listener failed", error);
      }
    }
  },
};
