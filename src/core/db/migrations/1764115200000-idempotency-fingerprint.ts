import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * An idempotency key remembers a fingerprint of the request that used it, so the same key sent
 * with a different payload is refused instead of answering with the first deal. Keys used
 * before this have none and are replayed as before.
 */
export class IdempotencyFingerprint1764115200000 implements MigrationInterface {
  name = "IdempotencyFingerprint1764115200000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pipeline_deal ADD COLUMN idempotency_fingerprint text
        CONSTRAINT pipeline_deal_idempotency_fingerprint_check CHECK (idempotency_fingerprint ~ '^[0-9a-f]{64}$')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE pipeline_deal DROP COLUMN idempotency_fingerprint`);
  }
}
