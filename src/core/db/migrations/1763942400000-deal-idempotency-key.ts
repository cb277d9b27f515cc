import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Partners retry requests that failed on the network. A create sent with an idempotency key is
 * made once per organization and key: a retry finds the deal the first request made.
 */
export class DealIdempotencyKey1763942400000 implements MigrationInterface {
  name = "DealIdempotencyKey1763942400000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pipeline_deal ADD COLUMN idempotency_key text
        CONSTRAINT pipeline_deal_idempotency_key_check CHECK (char_length(idempotency_key) BETWEEN 1 AND 200)`);
    await q.query(`
      CREATE UNIQUE INDEX pipeline_deal_idempotency_key ON pipeline_deal (organization_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX pipeline_deal_idempotency_key`);
    await q.query(`ALTER TABLE pipeline_deal DROP COLUMN idempotency_key`);
  }
}
