import { QueryRunner } from "typeorm";
import { DealLifecycle1764028800000 } from "../src/core/db/migrations/1764028800000-deal-lifecycle";
import { OrganizationStages1764633600000 } from "../src/core/db/migrations/1764633600000-organization-stages";
import { DealListCoveringIndex1764720000000 } from "../src/core/db/migrations/1764720000000-deal-list-covering-index";
import { DealCounts1764806400000 } from "../src/core/db/migrations/1764806400000-deal-counts";
import { PersonCounts1764892800000 } from "../src/core/db/migrations/1764892800000-person-counts";
import { DealSharedWith1764979200000 } from "../src/core/db/migrations/1764979200000-deal-shared-with";
import { rolledBack, useTestService } from "./support/harness";

/**
 * The migrations that rewrite existing deals, run on data written before them: inside a
 * transaction that is rolled back afterwards (PostgreSQL's DDL is transactional), so the rest of
 * the run's database is left as it was. The transaction first empties the tables (every test
 * file's organizations would otherwise be in the way of going down to shared stages), undoes
 * the migrations back to before the lifecycle (the deal counts and shares first), and writes two organizations' deals as they were
 * then. The empty-database case is every test run's own setup.
 */
describe("the migrations that rewrite existing deals", () => {
  const service = useTestService();

  interface OldWorld {
    organizations: string[];
    deals: Record<string, { id: string; organizationId: string; stage: string; owner: string }>;
    shared: Record<string, string>;
  }

  /** Two organizations with an open referral and a won opportunity each, written as before the lifecycle migration. */
  async function oldWorld(runner: QueryRunner): Promise<OldWorld> {
    await runner.query(`TRUNCATE organization CASCADE`);
    // The deal counts' triggers read the lifecycle's archived_at.
    await new DealSharedWith1764979200000().down(runner);
    await new DealCounts1764806400000().down(runner);
    await new OrganizationStages1764633600000().down(runner);
    await new DealLifecycle1764028800000().down(runner);
    const one = async (sql: string, values: unknown[] = []) => (await runner.query(sql, values))[0].id as string;
    const shared = Object.fromEntries(
      (await runner.query(`SELECT pipeline || ':' || key AS name, id FROM stage`)).map((row: { name: string; id: string }) => [row.name, row.id]),
    );
    const world: OldWorld = { organizations: [], deals: {}, shared };
    for (const name of ["A", "B"]) {
      const org = await one(`INSERT INTO organization (name) VALUES ($1) RETURNING id`, [`Old ${name}`]);
      world.organizations.push(org);
      const workspace = await one(`INSERT INTO workspace (organization_id, name) VALUES ($1, 'Main') RETURNING id`, [org]);
      const owner = await one(`INSERT INTO person (organization_id, type, first_name, email) VALUES ($1, 'USER', 'Owner', 'o@example.com') RETURNING id`, [org]);
      const person = () => one(`INSERT INTO person (organization_id, type, first_name) VALUES ($1, 'CONTACT', 'Someone') RETURNING id`, [org]);
      const [seeker, provider] = [await person(), await person()];
      const customer = await one(`INSERT INTO company (organization_id, name) VALUES ($1, 'Customer') RETURNING id`, [org]);
      const referral = await one(
        `INSERT INTO pipeline_deal (organization_id, kind, name, stage_id, owner_id, workspace_id, seeker_id, provider_id, connector_id, created_at)
         VALUES ($1, 'referral', $2, $3, $4, $5, $6, $7, $4, '2025-01-02T03:04:05.123456Z') RETURNING id`,
        [org, `Old referral ${name}`, shared["referral:lead"], owner, workspace, seeker, provider],
      );
      const won = await one(
        `INSERT INTO pipeline_deal (organization_id, kind, name, stage_id, owner_id, workspace_id, customer_id, pipeline_type, probability, budget_confirmed, solution_families, created_at)
         VALUES ($1, 'opportunity', $2, $3, $4, $5, $6, 'other', 100, false, '{}', '2025-02-03T04:05:06Z') RETURNING id`,
        [org, `Old win ${name}`, shared["sales:won"], owner, workspace, customer],
      );
      world.deals[`referral ${name}`] = { id: referral, organizationId: org, stage: "referral:lead", owner };
      world.deals[`won ${name}`] = { id: won, organizationId: org, stage: "sales:won", owner };
    }
    return world;
  }

  it("lifecycle: gives each deal its version, stage entry, close and one history entry by its owner", () =>
    rolledBack(service.db, async (runner) => {
      const { deals, shared } = await oldWorld(runner);
      await new DealLifecycle1764028800000().up(runner);
      const [open, closed] = [deals["referral A"].id, deals["won A"].id];
      const rows = await runner.query(
        `SELECT id, version, stage_entered_at = created_at AS entered_at_creation, closed_at = created_at AS closed_at_creation, closed_at IS NULL AS open
           FROM pipeline_deal WHERE id = ANY($1) ORDER BY name`,
        [[open, closed]],
      );
      expect(rows).toEqual([
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
        { deal_id: open, from_stage_id: null, to_stage_id: shared["referral:lead"], changed_by_id: deals["referral A"].owner, at_creation: true },
        { deal_id: closed, from_stage_id: null, to_stage_id: shared["sales:won"], changed_by_id: deals["won A"].owner, at_creation: true },
      ]);
      const [{ missing }] = await runner.query(
        `SELECT count(*)::int AS missing FROM pipeline_deal d
          WHERE (SELECT count(*) FROM deal_stage_change h WHERE h.organization_id = d.organization_id AND h.deal_id = d.id) <> 1`,
      );
      expect(missing).toBe(0);
    }));

  it("organization stages: every organization gets its copy, and its deals, history and events point to it", () =>
    rolledBack(service.db, async (runner) => {
      const { organizations, deals, shared } = await oldWorld(runner);
      await new DealLifecycle1764028800000().up(runner);
      // An event recorded before, naming shared stages in its documents.
      const event = deals["referral B"];
      await runner.query(
        `INSERT INTO deal_event (organization_id, deal_id, kind, actor_id, deal, details)
         VALUES ($1, $2, 'deal.stage_changed', $3, jsonb_build_object('stage_id', $4::text), jsonb_build_object('fromStage', jsonb_build_object('id', $5::text), 'toStage', jsonb_build_object('id', $4::text)))`,
        [event.organizationId, event.id, event.owner, shared["referral:lead"], shared["referral:introduced"]],
      );

      await new OrganizationStages1764633600000().up(runner);

      const own = async (organizationId: string) =>
        Object.fromEntries(
          (await runner.query(`SELECT pipeline || ':' || key AS name, id FROM stage WHERE organization_id = $1 AND deleted_at IS NULL`, [organizationId])).map(
            (row: { name: string; id: string }) => [row.name, row.id],
          ),
        );
      const copies = [await own(organizations[0]), await own(organizations[1])];
      expect(Object.keys(copies[0]).sort()).toEqual(Object.keys(shared).sort());
      expect(Object.keys(copies[1]).sort()).toEqual(Object.keys(shared).sort());
      const [{ left }] = await runner.query(`SELECT count(*)::int AS left FROM stage WHERE id = ANY($1)`, [Object.values(shared)]);
      expect(left).toBe(0);

      for (const deal of Object.values(deals)) {
        const mine = copies[organizations.indexOf(deal.organizationId)][deal.stage];
        const [row] = await runner.query(`SELECT stage_id FROM pipeline_deal WHERE id = $1`, [deal.id]);
        expect(row.stage_id).toBe(mine);
        const history = await runner.query(`SELECT from_stage_id, to_stage_id FROM deal_stage_change WHERE deal_id = $1`, [deal.id]);
        expect(history).toEqual([{ from_stage_id: null, to_stage_id: mine }]);
      }
      const [recorded] = await runner.query(`SELECT deal, details FROM deal_event WHERE deal_id = $1`, [event.id]);
      const theirs = copies[1];
      expect(recorded).toEqual({
        deal: { stage_id: theirs["referral:lead"] },
        details: { fromStage: { id: theirs["referral:introduced"] }, toStage: { id: theirs["referral:lead"] } },
      });

      // A new organization gets the defaults from the trigger.
      const [made] = await runner.query(`INSERT INTO organization (name) VALUES ('New') RETURNING id`);
      expect(Object.keys(await own(made.id)).sort()).toEqual(Object.keys(shared).sort());
      // And down again: back to shared stages, every deal mapped by pipeline and key.
      await new OrganizationStages1764633600000().down(runner);
      const [{ mismatched }] = await runner.query(
        `SELECT count(*)::int AS mismatched FROM pipeline_deal d JOIN stage s ON s.id = d.stage_id
          WHERE (s.pipeline || ':' || s.key) <> CASE d.kind WHEN 'referral' THEN 'referral:lead' ELSE 'sales:won' END`,
      );
      expect(mismatched).toBe(0);
    }));
  it("deal list index: down to the plain index and up again on existing deals, counting the same", () =>
    rolledBack(service.db, async (runner) => {
      const one = async (sql: string, values: unknown[] = []) => (await runner.query(sql, values))[0].id as string;
      const org = await one(`INSERT INTO organization (name) VALUES ('Indexed') RETURNING id`);
      const workspace = await one(`INSERT INTO workspace (organization_id, name) VALUES ($1, 'Main') RETURNING id`, [org]);
      const owner = await one(`INSERT INTO person (organization_id, type, first_name, email) VALUES ($1, 'USER', 'Owner', 'o@example.com') RETURNING id`, [org]);
      const lead = await one(`SELECT id FROM stage WHERE organization_id = $1 AND pipeline = 'referral' AND key = 'lead'`, [org]);
      const contact = () => one(`INSERT INTO person (organization_id, type, first_name) VALUES ($1, 'CONTACT', 'Someone') RETURNING id`, [org]);
      for (const archived of [false, true, false]) {
        await runner.query(
          `INSERT INTO pipeline_deal (organization_id, kind, name, stage_id, owner_id, workspace_id, seeker_id, provider_id, connector_id, archived_at, archived_by_id)
           VALUES ($1, 'referral', 'Deal', $2, $3, $4, $5, $6, $3, $7, $8)`,
          [org, lead, owner, workspace, await contact(), await contact(), archived ? new Date() : null, archived ? owner : null],
        );
      }
      const indexes = async () =>
        (await runner.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'pipeline_deal' AND indexname LIKE 'pipeline_deal_list%' ORDER BY 1`)).map(
          (row: { indexname: string }) => row.indexname,
        );
      const count = async () =>
        Number((await runner.query(`SELECT count(*) AS n FROM pipeline_deal WHERE organization_id = $1 AND kind = 'referral' AND archived_at IS NULL`, [org]))[0].n);
      expect(await indexes()).toEqual(["pipeline_deal_list_idx"]);
      const before = await count();
      expect(before).toBe(2);
      await new DealListCoveringIndex1764720000000().down(runner);
      expect(await indexes()).toEqual(["pipeline_deal_list_created_idx"]);
      expect(await count()).toBe(before);
      await new DealListCoveringIndex1764720000000().up(runner);
      expect(await indexes()).toEqual(["pipeline_deal_list_idx"]);
      const [index] = await runner.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'pipeline_deal_list_idx'`);
      expect(index.indexdef).toContain("(organization_id, kind, created_at, id) INCLUDE (visibility_mode, workspace_id, archived_at)");
      expect(await count()).toBe(before);
    }));

  it("deal counts: down and up again on existing deals of every key, counting each exactly, then kept by every write", () =>
    rolledBack(service.db, async (runner) => {
      // Back to the counts as this migration made them, before the shares were part of their key.
      await new DealSharedWith1764979200000().down(runner);
      const one = async (sql: string, values: unknown[] = []) => (await runner.query(sql, values))[0].id as string;
      const org = await one(`INSERT INTO organization (name) VALUES ('Counted') RETURNING id`);
      const workspaces = [
        await one(`INSERT INTO workspace (organization_id, name) VALUES ($1, 'Main') RETURNING id`, [org]),
        await one(`INSERT INTO workspace (organization_id, name) VALUES ($1, 'Other') RETURNING id`, [org]),
      ];
      const owner = await one(`INSERT INTO person (organization_id, type, first_name, email) VALUES ($1, 'USER', 'Owner', 'o@example.com') RETURNING id`, [org]);
      const lead = await one(`SELECT id FROM stage WHERE organization_id = $1 AND pipeline = 'sales' AND key = 'lead'`, [org]);
      const customer = await one(`INSERT INTO company (organization_id, name) VALUES ($1, 'Customer') RETURNING id`, [org]);
      const insert = (workspace: string, mode: string, archived: boolean) =>
        runner.query(
          `INSERT INTO pipeline_deal (organization_id, kind, name, stage_id, owner_id, workspace_id, visibility_mode, archived_at, archived_by_id,
                                      customer_id, pipeline_type, probability, budget_confirmed, solution_families)
           VALUES ($1, 'opportunity', 'Deal', $2, $3, $4, $5, CASE WHEN $6 THEN now() END, CASE WHEN $6 THEN $3::uuid END, $7, 'other', 10, false, '{}')`,
          [org, lead, owner, workspace, mode, archived, customer],
        );
      const kept = () =>
        runner.query(
          `SELECT workspace_id, visibility_mode, archived, sum(deals)::int AS deals FROM deal_count WHERE organization_id = $1
            GROUP BY 1, 2, 3 HAVING sum(deals) <> 0 ORDER BY 1, 2, 3`,
          [org],
        );
      const actual = () =>
        runner.query(
          `SELECT workspace_id, visibility_mode, archived_at IS NOT NULL AS archived, count(*)::int AS deals FROM pipeline_deal WHERE organization_id = $1
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
          [org],
        );
      await new DealCounts1764806400000().down(runner);
      const [{ left }] = await runner.query(`SELECT count(*)::int AS left FROM pg_class WHERE relname IN ('deal_count', 'pipeline_deal_shared_idx')`);
      expect(left).toBe(0);
      // Deals written while nothing counts them: a different number of each key.
      let n = 0;
      for (const workspace of workspaces) {
        for (const mode of ["global", "workspace_local", "shared"]) {
          for (const archived of [false, true]) for (let copy = 0; copy <= n % 3; copy++) await insert(workspace, mode, archived);
          n++;
        }
      }
      const before = await actual();
      expect(before).toHaveLength(12);
      await new DealCounts1764806400000().up(runner);
      expect(await kept()).toEqual(before);
      // Kept from there on.
      await insert(workspaces[1], "shared", false);
      await runner.query(`UPDATE pipeline_deal SET visibility_mode = 'global' WHERE organization_id = $1 AND workspace_id = $2 AND visibility_mode = 'shared'`, [
        org,
        workspaces[0],
      ]);
      await runner.query(`DELETE FROM pipeline_deal WHERE organization_id = $1 AND archived_at IS NOT NULL AND workspace_id = $2`, [org, workspaces[1]]);
      expect(await kept()).toEqual(await actual());
      const [index] = await runner.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'pipeline_deal_shared_idx'`);
      expect(index.indexdef).toContain("WHERE ((visibility_mode = 'shared'::text) AND (archived_at IS NULL))");
    }));

  it("deals' shared_with: down and up again on existing deals and shares, each deal's workspaces in order, counted by them, then kept", () =>
    rolledBack(service.db, async (runner) => {
      const one = async (sql: string, values: unknown[] = []) => (await runner.query(sql, values))[0].id as string;
      const org = await one(`INSERT INTO organization (name) VALUES ('Shared') RETURNING id`);
      const workspaces: string[] = [];
      for (const name of ["Main", "East", "West"]) workspaces.push(await one(`INSERT INTO workspace (organization_id, name) VALUES ($1, $2) RETURNING id`, [org, name]));
      const owner = await one(`INSERT INTO person (organization_id, type, first_name, email) VALUES ($1, 'USER', 'Owner', 'o@example.com') RETURNING id`, [org]);
      const lead = await one(`SELECT id FROM stage WHERE organization_id = $1 AND pipeline = 'sales' AND key = 'lead'`, [org]);
      const customer = await one(`INSERT INTO company (organization_id, name) VALUES ($1, 'Customer') RETURNING id`, [org]);
      const deal = (mode: string) =>
        one(
          `INSERT INTO pipeline_deal (organization_id, kind, name, stage_id, owner_id, workspace_id, visibility_mode, customer_id, pipeline_type, probability, budget_confirmed, solution_families)
           VALUES ($1, 'opportunity', 'Deal', $2, $3, $4, $5, $6, 'other', 10, false, '{}') RETURNING id`,
          [org, lead, owner, workspaces[0], mode, customer],
        );
      const share = (id: string, workspace: string) =>
        runner.query(`INSERT INTO pipeline_deal_share (organization_id, deal_id, workspace_id) VALUES ($1, $2, $3)`, [org, id, workspace]);
      const sharedWith = async () =>
        (await runner.query(`SELECT id, shared_with FROM pipeline_deal WHERE organization_id = $1 ORDER BY id`, [org])).map(
          (row: { id: string; shared_with: string[] }) => [row.id, row.shared_with],
        );
      const kept = () =>
        runner.query(
          `SELECT visibility_mode, shared_with, sum(deals)::int AS deals FROM deal_count WHERE organization_id = $1 GROUP BY 1, 2 HAVING sum(deals) <> 0 ORDER BY 1, 2`,
          [org],
        );
      const actual = () =>
        runner.query(`SELECT visibility_mode, shared_with, count(*)::int AS deals FROM pipeline_deal WHERE organization_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [org]);
      const column = async () => Number((await runner.query(`SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'pipeline_deal' AND column_name = 'shared_with'`))[0].n);

      await new DealSharedWith1764979200000().down(runner);
      expect(await column()).toBe(0);
      // Deals and shares written before: none, one, and two workspaces (shared with in either order), a global deal shared too.
      const [alone, once, twice, other, global] = [await deal("shared"), await deal("shared"), await deal("shared"), await deal("shared"), await deal("global")];
      await share(once, workspaces[1]);
      await share(twice, workspaces[2]);
      await share(twice, workspaces[1]);
      await share(other, workspaces[2]);
      await share(other, workspaces[1]);
      await share(global, workspaces[2]);
      await new DealSharedWith1764979200000().up(runner);
      const both = [workspaces[1], workspaces[2]].sort();
      expect(await sharedWith()).toEqual(
        [
          [alone, []],
          [once, [workspaces[1]]],
          [twice, both],
          [other, both],
          [global, [workspaces[2]]],
        ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      );
      expect(await kept()).toEqual(await actual());
      expect(await kept()).toHaveLength(4);
      const [{ left }] = await runner.query(`SELECT count(*)::int AS left FROM pg_class WHERE relname = 'pipeline_deal_shared_idx'`);
      expect(left).toBe(0);
      // Kept from there on.
      await share(alone, workspaces[2]);
      await runner.query(`DELETE FROM pipeline_deal_share WHERE organization_id = $1 AND deal_id = $2 AND workspace_id = $3`, [org, twice, workspaces[2]]);
      const now = Object.fromEntries(await sharedWith());
      expect([now[alone], now[twice]]).toEqual([[workspaces[2]], [workspaces[1]]]);
      expect(await kept()).toEqual(await actual());
    }));

  it("person counts: down and up again on existing people, counting each type exactly", () =>
    rolledBack(service.db, async (runner) => {
      const [{ id: org }] = await runner.query(`INSERT INTO organization (name) VALUES ('People') RETURNING id`);
      const kept = () =>
        runner.query(`SELECT type, sum(people)::int AS people FROM person_count WHERE organization_id = $1 GROUP BY 1 HAVING sum(people) <> 0 ORDER BY 1`, [org]);
      const actual = () => runner.query(`SELECT type, count(*)::int AS people FROM person WHERE organization_id = $1 GROUP BY 1 ORDER BY 1`, [org]);
      await new PersonCounts1764892800000().down(runner);
      for (let n = 0; n < 5; n++) {
        await runner.query(`INSERT INTO person (organization_id, type, first_name, email) VALUES ($1, $2, 'Someone', $3)`, [
          org,
          n % 3 === 0 ? "USER" : "CONTACT",
          `p${n}@example.com`,
        ]);
      }
      const before = await actual();
      expect(before).toEqual([
        { type: "CONTACT", people: 3 },
        { type: "USER", people: 2 },
      ]);
      await new PersonCounts1764892800000().up(runner);
      expect(await kept()).toEqual(before);
      await runner.query(`DELETE FROM person WHERE organization_id = $1 AND type = 'CONTACT' AND email = 'p1@example.com'`, [org]);
      expect(await kept()).toEqual(await actual());
    }));
});
