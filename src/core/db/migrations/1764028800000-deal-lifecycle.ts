import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Deals that move: a version for optimistic concurrency, when the deal entered its stage and
 * closed, a soft delete (archive), and the stage history. Existing deals have never moved (no
 * write could move them before this), so each entered its stage, and closed if that stage is
 * won or lost, when it was created, by its owner: that is the one history entry each gets.
 */
export class DealLifecycle1764028800000 implements MigrationInterface {
  name = "DealLifecycle1764028800000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pipeline_deal
        ADD COLUMN version          integer     NOT NULL DEFAULT 1 CONSTRAINT pipeline_deal_version_check CHECK (version >= 1),
        ADD COLUMN stage_entered_at timestamptz,
        ADD COLUMN closed_at        timestamptz,
        ADD COLUMN archived_at      timestamptz,
        ADD COLUMN archived_by_id   uuid,
        ADD CONSTRAINT pipeline_deal_archived_by_fkey
          FOREIGN KEY (organization_id, archived_by_id) REFERENCES person (organization_id, id),
        ADD CONSTRAINT pipeline_deal_archived_check CHECK ((archived_at IS NULL) = (archived_by_id IS NULL))`);
    await q.query(`
      UPDATE pipeline_deal deal
         SET stage_entered_at = deal.created_at,
             closed_at = CASE WHEN stage.is_won OR stage.is_lost THEN deal.created_at END
        FROM stage
       WHERE stage.id = deal.stage_id`);
    await q.query(`ALTER TABLE pipeline_deal ALTER COLUMN stage_entered_at SET NOT NULL, ALTER COLUMN stage_entered_at SET DEFAULT now()`);

    await q.query(`
      CREATE TABLE deal_stage_change (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        deal_id         uuid        NOT NULL,
        from_stage_id   uuid        REFERENCES stage (id),
        to_stage_id     uuid        NOT NULL REFERENCES stage (id),
        changed_at      timestamptz NOT NULL DEFAULT now(),
        changed_by_id   uuid        NOT NULL,
        PRIMARY KEY (organization_id, id),
        FOREIGN KEY (organization_id, deal_id) REFERENCES pipeline_deal (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, changed_by_id) REFERENCES person (organization_id, id),
        CONSTRAINT deal_stage_change_moves CHECK (from_stage_id IS DISTINCT FROM to_stage_id)
      )`);
    await q.query(`CREATE INDEX deal_stage_change_deal_idx ON deal_stage_change (organization_id, deal_id, changed_at)`);
    await q.query(`
      INSERT INTO deal_stage_change (organization_id, deal_id, from_stage_id, to_stage_id, changed_at, changed_by_id)
      SELECT organization_id, id, NULL, stage_id, created_at, owner_id FROM pipeline_deal`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deal_stage_change`);
    await q.query(`
      ALTER TABLE pipeline_deal
        DROP COLUMN version, DROP COLUMN stage_entered_at, DROP COLUMN closed_at,
        DROP COLUMN archived_at, DROP COLUMN archived_by_id`);
  }
}
