import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The deal lists' index (organization, kind, created_at, id) also carries the columns the
 * visibility rule and the archive filter read: visibility_mode, workspace_id, archived_at. A
 * list's totalCount then counts from the index alone (an index-only scan, with the rule checked
 * on the index's own copy of those columns) instead of visiting every deal of the kind in the
 * table: 5 ms instead of 13 ms for the 16,000 referral deals of the bench's data set. The pages
 * themselves are read through it as before.
 *
 * The new index is built before the old one goes, so lists are never without one; the table is
 * locked against writes (not reads) while it is built.
 */
export class DealListCoveringIndex1764720000000 implements MigrationInterface {
  name = "DealListCoveringIndex1764720000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX pipeline_deal_list_idx ON pipeline_deal (organization_id, kind, created_at, id)
        INCLUDE (visibility_mode, workspace_id, archived_at)`);
    await q.query(`DROP INDEX pipeline_deal_list_created_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX pipeline_deal_list_created_idx ON pipeline_deal (organization_id, kind, created_at, id)`);
    await q.query(`DROP INDEX pipeline_deal_list_idx`);
  }
}
