import { logBackgroundError } from "../../core/observability/logger";
import { AsyncResource } from "node:async_hooks";
import { DataSource } from "typeorm";
import { Viewer } from "../../core/auth/viewer";
import { UnauthenticatedError } from "../../core/errors/errors";
import { visibleToMembersOf } from "../deal/visibility";
import { DealEventRow } from "./deal-event";

/** An event named by the outbox's NOTIFY or by a unit of work of this process. */
export interface DealEventRef {
  id: string;
  organizationId: string;
  dealId: string;
}

/** What one subscription wants: the caller, and optionally one deal kind ("referral", "opportunity") or one deal. */
export interface DealEventFilter {
  viewer: Viewer;
  dealKind: string | null;
  dealId: string | null;
}

interface Subscriber extends DealEventFilter {
  push(event: DealEventRow): void;
  /** Ends the subscription with an error (its API key no longer holds). */
  fail(error: Error): void;
}

/**
 * Live deal events for this process's subscriptions. Each event (from LISTEN, or in-process on the
 * embedded database, see deal-event.listener.ts) is read with ONE statement, whatever the number
 * of subscribers: the event row with the subscribers that may see its deal now — the deal's
 * current visibility and each subscriber's current memberships, by the same rule as every read
 * (visibility.ts). Events are handled one at a time, so each subscriber gets them in commit order.
 */
export class DealEventHub {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly db: DataSource) {}

  /**
   * Hands a committed event to the subscribers that may see it, after the events before it.
   * Bound to the context the hub was made in: an event announced inside a request (the embedded
   * database's in-process feed) must not have its statement counted as the request's.
   */
  readonly publish: (ref: DealEventRef) => void = AsyncResource.bind((ref: DealEventRef) => {
    this.queue = this.queue
      .then(() => this.dispatch(ref))
      .catch((error) => logBackgroundError("deal event subscriptions", error));
  });

  /** The events `filter` asks for, as they commit, until the iterator is returned (the client unsubscribes). */
  subscribe(filter: DealEventFilter): AsyncIterableIterator<DealEventRow> {
    const pending: DealEventRow[] = [];
    let waiting: { resolve: (result: IteratorResult<DealEventRow>) => void; reject: (error: Error) => void } | null = null;
    let done = false;
    let failure: Error | null = null;
    const organization = filter.viewer.organizationId;
    const subscriber: Subscriber = {
      ...filter,
      push: (event) => {
        if (done) return;
        if (waiting) {
          const { resolve } = waiting;
          waiting = null;
          resolve({ value: event, done: false });
        } else {
          pending.push(event);
        }
      },
      fail: (error) => {
        if (done) return;
        // The waiting next() gets the error (finish would answer it "done" instead).
        const next = waiting;
        waiting = null;
        void finish();
        if (next) next.reject(error);
        else failure = error;
      },
    };
    if (!this.subscribers.has(organization)) this.subscribers.set(organization, new Set());
    this.subscribers.get(organization)!.add(subscriber);
    const finish = (): Promise<IteratorResult<DealEventRow>> => {
      done = true;
      this.subscribers.get(organization)?.delete(subscriber);
      if (this.subscribers.get(organization)?.size === 0) this.subscribers.delete(organization);
      waiting?.resolve({ value: undefined, done: true });
      waiting = null;
      return Promise.resolve({ value: undefined, done: true });
    };
    return {
      next: () => {
        if (pending.length > 0) return Promise.resolve({ value: pending.shift()!, done: false });
        if (failure) {
          const error = failure;
          failure = null;
          return Promise.reject(error);
        }
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (waiting = { resolve, reject }));
      },
      return: finish,
      throw: (error) => finish().then(() => Promise.reject(error)),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** How many subscriptions are open (for tests and shutdown). */
  get size(): number {
    let size = 0;
    for (const set of this.subscribers.values()) size += set.size;
    return size;
  }

  /** Waits for the events handed over so far to be dispatched. */
  drain(): Promise<void> {
    return this.queue;
  }

  private async dispatch(ref: DealEventRef): Promise<void> {
    const candidates = [...(this.subscribers.get(ref.organizationId) ?? [])].filter((s) => !s.dealId || s.dealId === ref.dealId);
    if (candidates.length === 0) return;
    const users = [...new Set(candidates.map((s) => s.viewer.userId))];
    const keys = [...new Set(candidates.flatMap((s) => (s.viewer.apiKeyId ? [s.viewer.apiKeyId] : [])))];
    // The same statement says which subscribers' keys still hold: a revoked or expired key ends
    // its subscriptions at the next event, not only at the next connection.
    const [row]: Array<DealEventRow & { visible_to: string[]; live_keys: string[] }> = await this.db.query(
      `SELECT event.*,
              ARRAY(SELECT viewer.user_id FROM unnest($3::uuid[]) AS viewer(user_id)
                     WHERE ${visibleToMembersOf(
                       "deal",
                       `ARRAY(SELECT m.workspace_id FROM workspace_membership m
                               WHERE m.organization_id = deal.organization_id AND m.user_id = viewer.user_id)`,
                     )}) AS visible_to,
              ARRAY(SELECT k.id FROM api_key k
                     WHERE k.organization_id = event.organization_id AND k.id = ANY($4::uuid[])
                       AND k.revoked_at IS NULL AND k.expires_at > now()) AS live_keys
         FROM deal_event event
         JOIN pipeline_deal deal ON deal.organization_id = event.organization_id AND deal.id = event.deal_id
        WHERE event.organization_id = $1 AND event.id = $2`,
      [ref.organizationId, ref.id, users, keys],
    );
    if (!row) return;
    const visibleTo = new Set(row.visible_to);
    const liveKeys = new Set(row.live_keys);
    const { visible_to: _visibleTo, live_keys: _liveKeys, ...event } = row;
    for (const subscriber of candidates) {
      if (subscriber.viewer.apiKeyId && !liveKeys.has(subscriber.viewer.apiKeyId)) {
        subscriber.fail(new UnauthenticatedError("The API key has been revoked or has expired: connect again with a valid key."));
        continue;
      }
      if (!visibleTo.has(subscriber.viewer.userId)) continue;
      if (subscriber.dealKind && event.deal.kind !== subscriber.dealKind) continue;
      subscriber.push(event);
    }
  }
}
