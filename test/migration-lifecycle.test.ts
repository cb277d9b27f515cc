import { DealLifecycle1764028800000 } from "../src/core/db/migrations/1764028800000-deal-lifecycle";
import { Pipeline } from "../src/modules/stage/stage.entity";
import { createCompany, createPerson, createTenant, stageId } from "./factories";
import { useTestService } from "./support/harness";

/**
 * The lifecycle migration rewrites every existing deal: run on data written before it, inside a
 * transaction that is rolled back afterwards (PostgreSQL's DDL is transactional), so the rest of
 * the run's database is left as it was. The empty-database case is every test run's own setup.
 */
describe("the deal lifecycle migration on existing deals", () => {
  const service = useTestService();

  it("gives each deal its version, stage entry, close and one history entry by its owner", async () => {
    const me = await createTenant(service.db);
    const [seeker, provider] = [await createPerson(service.db, me.organizationId), await createPerson(service.db, me.organizationId)];
    const customer = await createCompany(service.db, me.organizationId);
    const [lead, won] = [await stageId(service.db, Pipeline.REFERRAL, "lead"), await stageId(service.db, Pipeline.SALES, "won")];
    const runner = service.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const migration = new DealLifecycle1764028800000();
      await migration.down(runner);
      const insert = (sql: string, values: unknown[]) => runner.query(sql, values).then((rows: Array<{ id: string }>) => rows[0].id);
      const open = await insert(
        `INSERT INTO pipeline_deal (organization_id, kind, name, stage_id, owner_id, workspace_id, seeker_id, provider_id, connector_id, created_at)
         VALUES ($1, 'referral', 'Old referral', $2, $3, $4, $5, $6, $3, '2025-01-02T03:04:05.123456Z') RETURNING id`,
        [me.organizationId, lead, me.userId, me.workspaceId, seeker.id, provider.id],
      );
      const closed = await insert(
        `INSERT INTO pipeline_deal (organization_id, kind, name, stage_id, owner_id, workspace_id, customer_id, pipeline_type, probability, budget_confirmed, solution_families, created_at)
         VALUES ($1, 'opportunity', 'Old win', $2, $3, $4, $5, 'other', 100, false, '{}', '2025-02-03T04:05:06Z') RETURNING id`,
        [me.organizationId, won, me.userId, me.workspaceId, customer.id],
      );
      await migration.up(runner);

      const deals = await runner.query(
        `SELECT id, version, stage_entered_at = created_at AS entered_at_creation, closed_at = created_at AS closed_at_creation, closed_at IS NULL AS open
           FROM pipeline_deal WHERE id = ANY($1) ORDER BY name`,
        [[open, closed]],
      );
      expect(deals).toEqual([
        { id: open, version: 1, entered_at_creation: true, closed_at_creation: null, open: true },
        { id: closed, version: 1, entered_at_creation: true, closed_at_creation: true, open: false },
      ]);
      const history = await runner.query(
        `SELECT h.deal_id, h.from_stage_id, h.to_stage_id, h.changed_by_id, h.changed_at = d.created_at AS at_creation
           FROM deal_stage_change h JOIN pipeline_deal d ON d.organization_id = h.organization_id AND d.id = h.deal_id
          WHERE h.deal_id = ANY($1) ORDER BY d.name`,
        [[open, closed]],
      );
      expect(history).toEqual([
        { deal_id: open, from_stage_id: null, to_stage_id: lead, changed_by_id: me.userId, at_creation: true },
        { deal_id: closed, from_stage_id: null, to_stage_id: won, changed_by_id: me.userId, at_creation: true },
      ]);
      const [{ missing }] = await runner.query(
        `SELECT count(*)::int AS missing FROM pipeline_deal d
          WHERE (SELECT count(*) FROM deal_stage_change h WHERE h.organization_id = d.organization_id AND h.deal_id = d.id) <> 1`,
      );
      expect(missing).toBe(0);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
