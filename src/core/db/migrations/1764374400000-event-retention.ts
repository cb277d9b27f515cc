import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * What pruning old events needs: events by age, and each event's deliveries (which the pending
 * check reads and the cascade deletes).
 */
export class EventRetention1764374400000 implements MigrationInterface {
  name = "EventRetention1764374400000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX deal_event_occurred_idx ON deal_event (occurred_at)`);
    await q.query(`CREATE INDEX webhook_delivery_event_idx ON webhook_delivery (organization_id, event_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_delivery_event_idx`);
    await q.query(`DROP INDEX deal_event_occurred_idx`);
  }
}
