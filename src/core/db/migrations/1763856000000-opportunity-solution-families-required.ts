import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Opportunity.solutionFamilies is a non-null list in GraphQL, so an opportunity row with a NULL
 * array would fail every read that includes it. The service always writes an array; now the
 * database insists on it too.
 */
export class OpportunitySolutionFamiliesRequired1763856000000 implements MigrationInterface {
  name = "OpportunitySolutionFamiliesRequired1763856000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE pipeline_deal SET solution_families = '{}' WHERE kind = 'opportunity' AND solution_families IS NULL`);
    await q.query(`
      ALTER TABLE pipeline_deal ADD CONSTRAINT pipeline_deal_opportunity_solution_families_check
        CHECK (kind <> 'opportunity' OR solution_families IS NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE pipeline_deal DROP CONSTRAINT pipeline_deal_opportunity_solution_families_check`);
  }
}
