import { logBackgroundError } from "../../core/observability/logger";
import { DataSource } from "typeorm";
import { WebhookConfig } from "../../config";
import { committedEvents } from "../../core/events/committed-events";
import { DealEventRow, eventMessage } from "../events/deal-event";
import { SIGNATURE_HEADER, signatureHeader } from "./webhook.signature";
import { urlProblem } from "./webhook.url";

/** How many deliveries one worker takes at a time. */
const BATCH = 20;

/** How often a worker prunes events past their retention (every replica may; the deletes do not clash). */
const PRUNE_EVERY_MS = 15 * 60_000;
/** Events deleted per statement while pruning, so no statement holds many rows for long. */
const PRUNE_BATCH = 1000;

/**
 * Deletes the events older than `retentionDays` that no delivery still waits on, with their
 * deliveries and attempts (by cascade), in batches. Returns how many events went.
 */
export async function pruneEvents(db: DataSource, retentionDays: number): Promise<number> {
  let total = 0;
  for (;;) {
    const [{ pruned }]: Array<{ pruned: number }> = await db.query(
      `WITH gone AS (
         DELETE FROM deal_event event
          WHERE (event.organization_id, event.id) IN (
                  SELECT old.organization_id, old.id FROM deal_event old
                   WHERE old.occurred_at < now() - $1 * interval '1 day'
                     AND NOT EXISTS (SELECT 1 FROM webhook_delivery delivery
                                      WHERE delivery.organization_id = old.organization_id AND delivery.event_id = old.id
                                        AND delivery.status = 'pending')
                   LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int AS pruned FROM gone`,
      [retentionDays, PRUNE_BATCH],
    );
    total += pruned;
    if (pruned < PRUNE_BATCH) return total;
  }
}

/** A delivery the worker has claimed, with its endpoint and event. */
interface ClaimedDelivery {
  organization_id: string;
  id: string;
  endpoint_id: string;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
  event: DealEventRow;
}

interface AttemptResult {
  succeeded: boolean;
  responseCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookWorker {
  /** Finishes the attempts under way, then stops. */
  stop(): Promise<void>;
}

/**
 * The webhook delivery worker that runs inside every service process (Twenty's webhook jobs,
 * without a separate queue: the outbox table is the queue).
 *
 * Replicas share the work through the database: a claim takes due deliveries FOR UPDATE SKIP
 * LOCKED and leases them (next_attempt_at moves past the attempt's timeout) in one committed
 * statement, so no other worker takes them while the attempt runs, and a worker that dies
 * mid-attempt leaves them to be taken again when the lease runs out: at least once. A delivery
 * is only claimed when no earlier event of the same deal is still pending for the same
 * endpoint, so each endpoint gets a deal's events in commit order.
 *
 * It looks for work every `pollMs`, and at once when this process commits events that queued deliveries.
 */
export function startWebhookWorker(db: DataSource, config: WebhookConfig): WebhookWorker {
  let running = true;
  let wake: (() => void) | null = null;
  // Events committed while the worker is busy: it looks again at once instead of sleeping.
  let committedMeanwhile = false;
  // Only resolves a promise the loop awaits: the loop's statements stay outside the request that committed.
  // Only for events that queued deliveries: a write that queued none gives the worker nothing to claim.
  const unsubscribe = committedEvents.subscribe((events) => {
    if (!events.some((event) => event.deliveries > 0)) return;
    committedMeanwhile = true;
    wake?.();
  });
  // Longer than an attempt can take (its timeout) with time to record it, so a live attempt keeps its delivery.
  const leaseMs = config.timeoutMs * 2 + 1_000;

  let prunedAt = 0;
  const loop = (async () => {
    while (running) {
      let claimed: ClaimedDelivery[] = [];
      committedMeanwhile = false;
      try {
        if (Date.now() - prunedAt >= PRUNE_EVERY_MS) {
          prunedAt = Date.now();
          await pruneEvents(db, config.retentionDays);
        }
        claimed = await claim(db, leaseMs);
        const results = await Promise.allSettled(claimed.map((delivery) => deliver(db, config, delivery)));
        // An attempt whose result could not be recorded is tried again when its lease runs out.
        for (const result of results) if (result.status === "rejected") throw result.reason;
      } catch (error) {
        if (running) logBackgroundError("webhook worker", error);
      }
      if (claimed.length === BATCH || committedMeanwhile || !running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    async stop() {
      running = false;
      unsubscribe();
      wake?.();
      await loop;
    },
  };
}

/** Takes up to BATCH due deliveries (see startWebhookWorker), with their endpoint and event. */
async function claim(db: DataSource, leaseMs: number): Promise<ClaimedDelivery[]> {
  // In WITH … SELECT: TypeORM answers a bare UPDATE with [rows, count].
  return db.query(
    `WITH claimed AS (UPDATE webhook_delivery delivery
        SET attempts = delivery.attempts + 1, next_attempt_at = now() + $1 * interval '1 millisecond'
       FROM webhook_endpoint endpoint, deal_event event
      WHERE (delivery.organization_id, delivery.id) IN (
              SELECT due.organization_id, due.id FROM webhook_delivery due
                JOIN webhook_endpoint open ON open.organization_id = due.organization_id AND open.id = due.endpoint_id AND open.enabled
               WHERE due.status = 'pending' AND due.next_attempt_at <= now()
                 AND NOT EXISTS (
                   SELECT 1 FROM webhook_delivery earlier
                    WHERE earlier.endpoint_id = due.endpoint_id AND earlier.deal_id = due.deal_id
                      AND earlier.status = 'pending' AND earlier.event_position < due.event_position)
               ORDER BY due.event_position
               LIMIT ${BATCH}
                 FOR UPDATE OF due SKIP LOCKED)
        AND endpoint.organization_id = delivery.organization_id AND endpoint.id = delivery.endpoint_id
        AND event.organization_id = delivery.organization_id AND event.id = delivery.event_id
    RETURNING delivery.organization_id, delivery.id, delivery.endpoint_id, delivery.attempts, delivery.created_at,
              endpoint.url, endpoint.secret, to_jsonb(event) AS event)
     SELECT * FROM claimed`,
    [leaseMs],
  );
}

/** One attempt: POST, then record it; the delivery ends on 2xx, else waits for its next attempt. */
async function deliver(db: DataSource, config: WebhookConfig, delivery: ClaimedDelivery): Promise<void> {
  const result = await post(config, delivery);
  const retryEndsAt = delivery.created_at.getTime() + config.retryForSeconds * 1000;
  // Exponential backoff with full jitter over its upper half, so failed deliveries do not return in step.
  const backoff = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(delivery.attempts - 1, 30));
  const delayMs = Math.round(backoff / 2 + (Math.random() * backoff) / 2);
  const gaveUp = !result.succeeded && Date.now() + delayMs > retryEndsAt;
  const status = result.succeeded ? "delivered" : gaveUp ? "failed" : "pending";
  // `attempts` fences the write: when this attempt outlived its lease and another worker took the
  // delivery again, that worker's result is the one recorded.
  await db.query(
    `WITH delivery AS (
       UPDATE webhook_delivery
          SET status = $4, last_response_code = $5, last_error = $6,
              next_attempt_at = CASE WHEN $4 = 'pending' THEN now() + $8 * interval '1 millisecond' ELSE next_attempt_at END,
              completed_at = CASE WHEN $4 = 'pending' THEN NULL ELSE now() END
        WHERE organization_id = $1 AND id = $2 AND attempts = $3 AND status = 'pending'
       RETURNING organization_id, id, endpoint_id, status, next_attempt_at
     ), attempt AS (
       INSERT INTO webhook_attempt (organization_id, delivery_id, attempted_at, succeeded, response_code, error, duration_ms, next_attempt_at)
       SELECT organization_id, id, now() - $7 * interval '1 millisecond', $4 = 'delivered', $5, $6, $7,
              CASE WHEN status = 'pending' THEN next_attempt_at END
         FROM delivery
     )
     UPDATE webhook_endpoint endpoint
        SET failing_since = CASE WHEN $4 = 'delivered' THEN NULL ELSE COALESCE(endpoint.failing_since, now()) END,
            enabled = endpoint.enabled AND NOT ($4 <> 'delivered' AND COALESCE(endpoint.failing_since <= now() - $9 * interval '1 second', false)),
            disabled_reason = CASE WHEN $4 <> 'delivered' AND COALESCE(endpoint.failing_since <= now() - $9 * interval '1 second', false)
                                   THEN 'Turned off: every delivery failed since ' || to_char(endpoint.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                                   ELSE endpoint.disabled_reason END
       FROM delivery
      WHERE endpoint.organization_id = delivery.organization_id AND endpoint.id = delivery.endpoint_id`,
    [
      delivery.organization_id,
      delivery.id,
      delivery.attempts,
      status,
      result.responseCode,
      result.error,
      result.durationMs,
      delayMs,
      config.disableAfterSeconds,
    ],
  );
}

async function post(config: WebhookConfig, delivery: ClaimedDelivery): Promise<AttemptResult> {
  const started = Date.now();
  const done = (partial: Omit<AttemptResult, "durationMs">): AttemptResult => ({ ...partial, durationMs: Date.now() - started });
  // Checked again at every attempt: the name may resolve elsewhere since the endpoint was saved.
  // The lookup counts against the attempt's time like the request does.
  const problem = await Promise.race([
    urlProblem(delivery.url, config),
    new Promise<string>((resolve) => setTimeout(() => resolve(`the host was not resolved within ${config.timeoutMs} ms`), config.timeoutMs).unref()),
  ]);
  if (problem) return done({ succeeded: false, responseCode: null, error: problem });
  const message = eventMessage({ ...delivery.event, deal: delivery.event.deal, details: delivery.event.details });
  const body = JSON.stringify(message);
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "dealgraph-webhooks/1",
        [SIGNATURE_HEADER]: signatureHeader(delivery.secret, body, Math.floor(Date.now() / 1000)),
        "idempotency-key": message.id,
        "dealgraph-event-type": message.type,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    const succeeded = response.status >= 200 && response.status < 300;
    return done({ succeeded, responseCode: response.status, error: succeeded ? null : `answered HTTP ${response.status}` });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const reason = timedOut ? `no answer within ${config.timeoutMs} ms` : describe(error);
    return done({ succeeded: false, responseCode: null, error: reason });
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${error.message}: ${cause.code}` : cause?.message ? `${error.message}: ${cause.message}` : error.message;
}
