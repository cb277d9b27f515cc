import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The deal-event outbox and webhook delivery. Events are written by the deal write statements
 * themselves (deal.repository.ts), so an event exists exactly when its write committed;
 * `position` orders the events of one deal in commit order (the deal row is locked by every
 * write, so writes to one deal take their positions one after the other). A delivery is one
 * event for one endpoint, queued in the same statement; every attempt at it is kept.
 */
export class DealEvents1764201600000 implements MigrationInterface {
  name = "DealEvents1764201600000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE deal_event (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        position        bigint      GENERATED ALWAYS AS IDENTITY,
        deal_id         uuid        NOT NULL,
        kind            text        NOT NULL CONSTRAINT deal_event_kind_check CHECK (kind IN (
                          'deal.created', 'deal.updated', 'deal.stage_changed', 'deal.archived',
                          'deal.restored', 'deal.shared', 'deal.unshared')),
        occurred_at     timestamptz NOT NULL DEFAULT now(),
        actor_id        uuid        NOT NULL,
        deal            jsonb       NOT NULL,
        details         jsonb       NOT NULL DEFAULT '{}',
        PRIMARY KEY (organization_id, id),
        UNIQUE (position),
        FOREIGN KEY (organization_id, deal_id) REFERENCES pipeline_deal (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, actor_id) REFERENCES person (organization_id, id)
      )`);
    await q.query(`CREATE INDEX deal_event_deal_idx ON deal_event (organization_id, deal_id, position)`);

    await q.query(`
      CREATE TABLE webhook_endpoint (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        url             text        NOT NULL CONSTRAINT webhook_endpoint_url_check CHECK (url ~ '^https?://'),
        events          text[]      NOT NULL,
        description     text,
        secret          text        NOT NULL,
        enabled         boolean     NOT NULL DEFAULT true,
        disabled_reason text,
        failing_since   timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id)
      )`);
    await q.query(`CREATE INDEX webhook_endpoint_organization_idx ON webhook_endpoint (organization_id) WHERE enabled`);

    await q.query(`
      CREATE TABLE webhook_delivery (
        organization_id    uuid        NOT NULL REFERENCES organization (id),
        id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
        endpoint_id        uuid        NOT NULL,
        event_id           uuid        NOT NULL,
        event_kind         text        NOT NULL,
        deal_id            uuid        NOT NULL,
        event_position     bigint      NOT NULL,
        status             text        NOT NULL DEFAULT 'pending'
                             CONSTRAINT webhook_delivery_status_check CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts           integer     NOT NULL DEFAULT 0,
        next_attempt_at    timestamptz NOT NULL DEFAULT now(),
        last_response_code integer,
        last_error         text,
        created_at         timestamptz NOT NULL DEFAULT now(),
        completed_at       timestamptz,
        PRIMARY KEY (organization_id, id),
        UNIQUE (endpoint_id, event_id),
        FOREIGN KEY (organization_id, endpoint_id) REFERENCES webhook_endpoint (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, event_id) REFERENCES deal_event (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_delivery_order_idx ON webhook_delivery (endpoint_id, deal_id, event_position) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_delivery_endpoint_idx ON webhook_delivery (organization_id, endpoint_id, created_at)`);

    await q.query(`
      CREATE TABLE webhook_attempt (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        delivery_id     uuid        NOT NULL,
        attempted_at    timestamptz NOT NULL,
        succeeded       boolean     NOT NULL,
        response_code   integer,
        error           text,
        duration_ms     integer     NOT NULL,
        next_attempt_at timestamptz,
        PRIMARY KEY (organization_id, id),
        FOREIGN KEY (organization_id, delivery_id) REFERENCES webhook_delivery (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX webhook_attempt_delivery_idx ON webhook_attempt (organization_id, delivery_id, attempted_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_attempt`);
    await q.query(`DROP TABLE webhook_delivery`);
    await q.query(`DROP TABLE webhook_endpoint`);
    await q.query(`DROP TABLE deal_event`);
  }
}
