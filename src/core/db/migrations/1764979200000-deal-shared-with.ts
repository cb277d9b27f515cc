import { MigrationInterface, QueryRunner } from "typeorm";
import { DEAL_COUNTS, DealCounts1764806400000 } from "./1764806400000-deal-counts";
import { createKeptCounts, dropKeptCounts, KeptCounts } from "./kept-counts";

/** The deal counts, keyed by the workspaces each deal is shared with too. */
export const DEAL_COUNTS_BY_SHARES: KeptCounts = {
  ...DEAL_COUNTS,
  key: [...DEAL_COUNTS.key, { name: "shared_with", type: "uuid[]", of: "shared_with" }],
};

/**
 * The deals whose shares a statement changed (`changed`: organization_id, deal_id) get their
 * `shared_with` from the shares as they now are. The deals are locked first, in a statement of
 * their own and in key order: the next statement's snapshot, taken once the locks are held, sees
 * every share a concurrent transaction committed before it let go of the deal. (Read in the same
 * statement as the lock, the shares would be those of the snapshot taken before waiting for it.)
 */
const setSharedWith = (changed: string) => `
          PERFORM 1 FROM pipeline_deal deal
            WHERE (deal.organization_id, deal.id) IN (SELECT organization_id, deal_id FROM (${changed}) AS changed)
            ORDER BY deal.organization_id, deal.id FOR UPDATE;
          UPDATE pipeline_deal deal SET shared_with = shares.workspace_ids
            FROM (SELECT changed.organization_id, changed.deal_id,
                         ARRAY(SELECT share.workspace_id FROM pipeline_deal_share share
                                WHERE share.organization_id = changed.organization_id AND share.deal_id = changed.deal_id
                                ORDER BY share.workspace_id) AS workspace_ids
                    FROM (SELECT DISTINCT organization_id, deal_id FROM (${changed}) AS changed) AS changed) AS shares
           WHERE deal.organization_id = shares.organization_id AND deal.id = shares.deal_id
             AND deal.shared_with IS DISTINCT FROM shares.workspace_ids;`;

/**
 * Every deal holds the workspaces it is shared with (`shared_with`, in order), kept by triggers
 * on the shares in the same transaction as every write of them: so the visibility rule is a test
 * of the deal's own row (`visibility_mode = 'shared' AND shared_with && <the viewer's
 * workspaces>`), where it looked the shares up deal by deal, and the deal counts, keyed by
 * `shared_with` too, count the deals shared with the viewer from another workspace as well: a
 * list's totalCount reads no deal at all. The shares stay the truth (their table, its keys and
 * the sharedWorkspacesByDeal loader are unchanged); `shared_with` follows them, whoever writes
 * them.
 *
 * Locks: the shares' SHARE lock from the start (no share is written until COMMIT), then the
 * deals' ACCESS EXCLUSIVE lock (the DROP INDEX, then the new column), held to COMMIT. The partial
 * index the deal counts' migration made for the shared deals goes: nothing reads it any more.
 */
export class DealSharedWith1764979200000 implements MigrationInterface {
  name = "DealSharedWith1764979200000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`LOCK TABLE pipeline_deal_share IN SHARE MODE`);
    // The deal counts as they were, and their partial index, go; they come back keyed by shares.
    await new DealCounts1764806400000().down(q);
    await q.query(`ALTER TABLE pipeline_deal ADD COLUMN shared_with uuid[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      CREATE FUNCTION pipeline_deal_shared_with() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN ${setSharedWith("SELECT organization_id, deal_id FROM new_rows")}
        ELSIF TG_OP = 'UPDATE' THEN ${setSharedWith("SELECT organization_id, deal_id FROM new_rows UNION ALL SELECT organization_id, deal_id FROM old_rows")}
        ELSIF TG_OP = 'DELETE' THEN ${setSharedWith("SELECT organization_id, deal_id FROM old_rows")}
        ELSE
          UPDATE pipeline_deal SET shared_with = '{}' WHERE shared_with <> '{}';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER pipeline_deal_shared_with_insert AFTER INSERT ON pipeline_deal_share
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pipeline_deal_shared_with()`);
    await q.query(`CREATE TRIGGER pipeline_deal_shared_with_update AFTER UPDATE ON pipeline_deal_share
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pipeline_deal_shared_with()`);
    await q.query(`CREATE TRIGGER pipeline_deal_shared_with_delete AFTER DELETE ON pipeline_deal_share
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pipeline_deal_shared_with()`);
    await q.query(`CREATE TRIGGER pipeline_deal_shared_with_truncate AFTER TRUNCATE ON pipeline_deal_share
      FOR EACH STATEMENT EXECUTE FUNCTION pipeline_deal_shared_with()`);
    await q.query(`
      UPDATE pipeline_deal deal SET shared_with = shares.workspace_ids
        FROM (SELECT organization_id, deal_id, array_agg(workspace_id ORDER BY workspace_id) AS workspace_ids
                FROM pipeline_deal_share GROUP BY organization_id, deal_id) AS shares
       WHERE deal.organization_id = shares.organization_id AND deal.id = shares.deal_id`);
    await createKeptCounts(q, DEAL_COUNTS_BY_SHARES);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropKeptCounts(q, DEAL_COUNTS_BY_SHARES);
    for (const operation of ["insert", "update", "delete", "truncate"]) {
      await q.query(`DROP TRIGGER pipeline_deal_shared_with_${operation} ON pipeline_deal_share`);
    }
    await q.query(`DROP FUNCTION pipeline_deal_shared_with()`);
    await q.query(`ALTER TABLE pipeline_deal DROP COLUMN shared_with`);
    await new DealCounts1764806400000().up(q);
  }
}
