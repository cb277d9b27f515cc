import { MigrationInterface, QueryRunner } from "typeorm";
import { createKeptCounts, dropKeptCounts, KeptCounts } from "./kept-counts";

/** Deals counted by the columns the visibility rule and the archive filter read, and the kind. */
export const DEAL_COUNTS: KeptCounts = {
  table: "pipeline_deal",
  counts: "deal_count",
  column: "deals",
  key: [
    { name: "organization_id", type: "uuid", of: "organization_id" },
    { name: "kind", type: "text", of: "kind" },
    { name: "workspace_id", type: "uuid", of: "workspace_id" },
    { name: "visibility_mode", type: "text", of: "visibility_mode" },
    { name: "archived", type: "boolean", of: "archived_at IS NOT NULL" },
  ],
};

/**
 * How many deals there are of each kind, per organization, workspace, visibility mode and
 * archived or not, kept by triggers in the same transaction as every write of a deal. A list's
 * totalCount, when its filter narrows by nothing but `archived`, adds up the rows the viewer may
 * see instead of checking the visibility rule on every deal (`countVisibleDeals` in
 * modules/deal/visibility.ts): 0.8 ms instead of 2.8 ms for the 16,000 opportunities of the
 * bench's data set, and the same however many deals an organization has. Only the deals shared with the viewer's workspaces from another one
 * are still counted one by one, from the partial index this migration adds for them.
 *
 * The deal-shared-with migration (1764979200000) keys the counts by the deals' shares too, so
 * that no deal is counted one by one, and drops the partial index.
 *
 * How the counts are kept (triggers, a row per session slot, taken under a SHARE lock):
 * kept-counts.ts. A deadlock between two sessions of one slot writing the same keys in opposite
 * orders is answered SERVICE_UNAVAILABLE, retryable, like any other.
 */
export class DealCounts1764806400000 implements MigrationInterface {
  name = "DealCounts1764806400000";

  async up(q: QueryRunner): Promise<void> {
    await createKeptCounts(q, DEAL_COUNTS);
    await q.query(`
      CREATE INDEX pipeline_deal_shared_idx ON pipeline_deal (organization_id, kind, workspace_id) INCLUDE (id)
        WHERE visibility_mode = 'shared' AND archived_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX pipeline_deal_shared_idx`);
    await dropKeptCounts(q, DEAL_COUNTS);
  }
}
