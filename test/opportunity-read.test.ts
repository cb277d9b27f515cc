import { randomUUID } from "node:crypto";
import { insertRows } from "../src/core/db/insert";
import { adminService } from "../src/modules/admin/admin.service";
import { Company } from "../src/modules/company/company.entity";
import { DealShare } from "../src/modules/deal/deal-share.entity";
import { VisibilityMode } from "../src/modules/deal/deal.enums";
import { Opportunity } from "../src/modules/opportunity/opportunity.entity";
import {
  LostReasonCategory,
  OpportunityPriority,
  OpportunitySource,
  PipelineType,
} from "../src/modules/opportunity/opportunity.enums";
import { Person, PersonType } from "../src/modules/person/person.entity";
import { Site } from "../src/modules/site/site.entity";
import { Pipeline } from "../src/modules/stage/stage.entity";
import {
  createCompany,
  createPerson,
  createSite,
  createTenant,
  createUser,
  createWorkspace,
  insertOpportunity,
  insertReferral,
  stageId,
  TestUser,
} from "./factories";
import { dataOf, errorOf, fieldPaths, useTestService } from "./support/harness";
import { AUTH_LOOKUP_STATEMENTS } from "./support/statements";

const NESTED = `
  id pipelineDealId title name customerId primaryContactId siteId ownerUserId workspaceId
  pipelineType source estimatedValue currency expectedCloseDate probability solutionFamilies
  scopeSummary competitorNotes winLossReason nextStepDescription nextStepDate bidDueDate
  budgetConfirmed priority lostReasonCategory technicalRequirements visibilityMode createdAt updatedAt description
  stage { id key label color description sortOrder probability pipeline isWon isLost }
  customer { id name domain }
  primaryContact { id type name firstName lastName email company { id name } referredBy { id } }
  site { id name address company { id name } }
  owner { id email company { id name } }
  workspace { id name }
  sharedWith { id name }
`;

const OPPORTUNITY = `query ($id: ID!) { opportunity(id: $id) { ${NESTED} } }`;

const LIST = `
  query ($first: Int, $after: String, $filter: OpportunityFilter, $orderBy: OpportunityOrder) {
    opportunities(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id title } }
    }
  }`;

const LIST_NESTED = `
  query ($first: Int) {
    opportunities(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${NESTED} } } }
  }`;

describe("reading opportunities", () => {
  const service = useTestService();
  let me: TestUser;
  let colleague: TestUser;
  let secondWorkspace: string;
  let customers: { c1: string; c2: string };
  /** The five opportunities of the list tests, by title. */
  const deal: Record<string, Opportunity> = {};

  beforeAll(async () => {
    const { db } = service;
    me = await createTenant(db);
    colleague = await createUser(db, me.organizationId, me.workspaceId);
    secondWorkspace = await createWorkspace(db, me.organizationId, "Second");
    await adminService.addMember(db, { workspace: secondWorkspace, user: me.userId });
    customers = {
      c1: (await createCompany(db, me.organizationId, "Customer One")).id,
      c2: (await createCompany(db, me.organizationId, "Customer Two")).id,
    };
    const sales = async (key: string) => stageId(db, me.organizationId, Pipeline.SALES, key);
    const at = { organizationId: me.organizationId, workspaceId: me.workspaceId, ownerId: me.userId };
    const specs: Array<[string, Partial<Opportunity> & { customerId: string }]> = [
      ["alpha", { stageId: await sales("lead"), pipelineType: PipelineType.NEW_CONSTRUCTION, priority: OpportunityPriority.LOW, customerId: customers.c1, expectedCloseDate: new Date("2026-01-15T00:00:00Z"), value: "500", createdAt: new Date("2025-01-01T00:00:00Z") }],
      ["Bravo", { stageId: await sales("proposal"), pipelineType: PipelineType.RETROFIT, priority: OpportunityPriority.HIGH, customerId: customers.c2, expectedCloseDate: new Date("2026-03-01T00:00:00Z"), value: null, createdAt: new Date("2025-01-02T00:00:00Z") }],
      ["charlie", { stageId: await sales("proposal"), pipelineType: PipelineType.RETROFIT, priority: OpportunityPriority.URGENT, customerId: customers.c1, expectedCloseDate: null, value: "1500.5", createdAt: new Date("2025-01-03T00:00:00Z"), ownerId: colleague.userId }],
      ["delta", { stageId: await sales("won"), pipelineType: PipelineType.SERVICE_AGREEMENT, priority: null, customerId: customers.c2, expectedCloseDate: new Date("2026-02-01T00:00:00Z"), value: "0", createdAt: new Date("2025-01-04T00:00:00Z"), workspaceId: secondWorkspace }],
      ["Echo", { stageId: await sales("lost"), pipelineType: PipelineType.EXPANSION, priority: OpportunityPriority.MEDIUM, customerId: customers.c1, expectedCloseDate: new Date("2026-02-01T00:00:00Z"), value: "500", createdAt: new Date("2025-01-05T00:00:00Z") }],
    ];
    for (const [title, values] of specs) deal[title] = await insertOpportunity(db, at, { name: title, ...values });
  });

  const list = async (variables: Record<string, unknown> = {}, as: TestUser = me) =>
    dataOf(await service.http(LIST, { first: 100, ...variables }, { key: as.apiKey })).opportunities;
  const titles = (connection: { edges: Array<{ node: { title: string } }> }) => connection.edges.map((e) => e.node.title);
  /** Two deals whose sort values tie, in id order. */
  const byId = (a: string, b: string) => (deal[a].id < deal[b].id ? [a, b] : [b, a]);

  describe("opportunity(id)", () => {
    it("returns every field and every nested object", async () => {
      await service.http(`{ me { id } }`, {}, { key: me.apiKey }); // the key is known from here on: no statement
      const contactCompany = await createCompany(service.db, me.organizationId, "Contact Co");
      const contact = await createPerson(service.db, me.organizationId, { firstName: "Cleo", companyId: contactCompany.id });
      const site = await createSite(service.db, me.organizationId, customers.c1);
      const full = await insertOpportunity(
        service.db,
        { organizationId: me.organizationId, workspaceId: me.workspaceId, ownerId: me.userId },
        {
          name: "Full",
          customerId: customers.c1,
          primaryContactId: contact.id,
          siteId: site.id,
          stageId: await stageId(service.db, me.organizationId, Pipeline.SALES, "lost"),
          source: OpportunitySource.PARTNER,
          lostReasonCategory: LostReasonCategory.NO_DECISION,
          solutionFamilies: ["HVAC"],
          value: "42.5",
          currency: "EUR",
          visibilityMode: VisibilityMode.SHARED,
          createdAt: new Date("2020-01-01T00:00:00Z"),
        },
      );
      await insertRows(service.db.manager, DealShare, [{ organizationId: me.organizationId, dealId: full.id, workspaceId: secondWorkspace }]);
      const result = await service.http(OPPORTUNITY, { id: full.id }, { key: me.apiKey });
      expect(dataOf(result).opportunity).toMatchObject({
        id: full.id,
        pipelineDealId: full.id,
        title: "Full",
        customerId: customers.c1,
        customer: { id: customers.c1, name: "Customer One" },
        primaryContact: { id: contact.id, firstName: "Cleo", company: { id: contactCompany.id, name: "Contact Co" } },
        site: { id: site.id, company: { id: customers.c1 } },
        owner: { id: me.userId },
        ownerUserId: me.userId,
        workspace: { id: me.workspaceId },
        workspaceId: me.workspaceId,
        stage: { key: "lost", isLost: true, pipeline: "SALES" },
        source: "PARTNER",
        lostReasonCategory: "NO_DECISION",
        solutionFamilies: ["HVAC"],
        estimatedValue: "42.5",
        currency: "EUR",
        visibilityMode: "SHARED",
        sharedWith: [{ id: secondWorkspace, name: "Second" }],
      });
      // The deal with its customer, contact, site, owner, workspace and stage; the shares.
      expect(result.sql).toBe(AUTH_LOOKUP_STATEMENTS + 2);
    });

    it.each([
      ["an id that does not exist", () => randomUUID()],
      ["an id that is not a UUID", () => "not-a-uuid"],
      ["a referral deal's id", async () => (await insertReferral(service.db, { organizationId: me.organizationId, workspaceId: me.workspaceId, ownerId: me.userId }, { visibilityMode: VisibilityMode.GLOBAL })).id],
      ["another organization's opportunity", async () => {
        const other = await createTenant(service.db);
        const company = await createCompany(service.db, other.organizationId);
        return (await insertOpportunity(service.db, { organizationId: other.organizationId, workspaceId: other.workspaceId, ownerId: other.userId }, { customerId: company.id, visibilityMode: VisibilityMode.GLOBAL })).id;
      }],
    ])("answers NOT_FOUND for %s", async (_case, id) => {
      const missing = await id();
      const error = errorOf(await service.http(OPPORTUNITY, { id: missing }, { key: me.apiKey }));
      expect(error).toMatchObject({ message: `Opportunity ${missing} was not found.`, extensions: { code: "NOT_FOUND" } });
    });
  });

  describe("opportunities", () => {
    it("lists the visible opportunities newest first by default, with totalCount", async () => {
      const connection = await list();
      expect(titles(connection).filter((t) => t in deal)).toEqual(["Echo", "delta", "charlie", "Bravo", "alpha"]);
      expect(connection.totalCount).toBe(connection.edges.length);
      expect(connection.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    });

    it.each([
      ["CREATED_AT", "ASC", () => ["alpha", "Bravo", "charlie", "delta", "Echo"]],
      ["CREATED_AT", "DESC", () => ["Echo", "delta", "charlie", "Bravo", "alpha"]],
      ["EXPECTED_CLOSE_DATE", "ASC", () => ["alpha", ...byId("delta", "Echo"), "Bravo", "charlie"]],
      ["EXPECTED_CLOSE_DATE", "DESC", () => ["charlie", "Bravo", ...byId("delta", "Echo").reverse(), "alpha"]],
      ["ESTIMATED_VALUE", "ASC", () => ["Bravo", "delta", ...byId("alpha", "Echo"), "charlie"]],
      ["ESTIMATED_VALUE", "DESC", () => ["charlie", ...byId("alpha", "Echo").reverse(), "delta", "Bravo"]],
      ["TITLE", "ASC", () => ["alpha", "Bravo", "charlie", "delta", "Echo"]],
      ["TITLE", "DESC", () => ["Echo", "delta", "charlie", "Bravo", "alpha"]],
    ])("orders by %s %s, the same whole or page by page", async (field, direction, expected) => {
      const orderBy = { field, direction };
      const whole = await list({ orderBy });
      const own = titles(whole).filter((t) => t in deal);
      expect(own).toEqual(expected());

      const paged: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page: any = await list({ first: 2, after, orderBy });
        expect(page.totalCount).toBe(whole.totalCount);
        expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
        paged.push(...titles(page));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        pages++;
      } while (after);
      expect(paged).toEqual(titles(whole));
      expect(pages).toBe(Math.ceil(whole.totalCount / 2));
    });

    it.each([
      ["stage", { stage: "PROPOSAL" }, ["Bravo", "charlie"]],
      ["pipelineType", { pipelineType: "RETROFIT" }, ["Bravo", "charlie"]],
      ["priority", { priority: "URGENT" }, ["charlie"]],
      ["customer", { customerId: "c2" }, ["Bravo", "delta"]],
      ["owner", { ownerId: "colleague" }, ["charlie"]],
      ["workspace", { workspaceId: "second" }, ["delta"]],
      ["expected close at or after", { expectedCloseAfter: "2026-02-01T00:00:00Z" }, ["Bravo", "delta", "Echo"]],
      ["expected close before", { expectedCloseBefore: "2026-02-01T00:00:00Z" }, ["alpha"]],
      ["an expected-close range", { expectedCloseAfter: "2026-01-15T00:00:00Z", expectedCloseBefore: "2026-03-01T00:00:00Z" }, ["alpha", "delta", "Echo"]],
      ["stage and customer together", { stage: "PROPOSAL", customerId: "c1" }, ["charlie"]],
    ])("filters by %s", async (_case, given, expected) => {
      const ids: Record<string, string> = { c1: customers.c1, c2: customers.c2, colleague: colleague.userId, second: secondWorkspace };
      const filter = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, ids[v] ?? v]));
      const connection = await list({ filter, orderBy: { field: "TITLE", direction: "ASC" } });
      expect(titles(connection)).toEqual(expected);
      expect(connection.totalCount).toBe(expected.length);
    });

    it("keeps a cursor valid when newer opportunities are added before it", async () => {
      const first = await list({ first: 2, orderBy: { field: "TITLE", direction: "ASC" } });
      expect(titles(first)).toEqual(["alpha", "Bravo"]);
      const added = await insertOpportunity(
        service.db,
        { organizationId: me.organizationId, workspaceId: me.workspaceId, ownerId: me.userId },
        { name: "aardvark", customerId: customers.c1 },
      );
      try {
        const next = await list({ first: 2, after: first.pageInfo.endCursor, orderBy: { field: "TITLE", direction: "ASC" } });
        expect(titles(next)).toEqual(["charlie", "delta"]);
        expect(next.edges[0].cursor).not.toBe(first.pageInfo.endCursor);
      } finally {
        await service.db.query(`DELETE FROM pipeline_deal WHERE organization_id = $1 AND id = $2`, [me.organizationId, added.id]);
      }
    });

    it("gives the same cursor for the same row every time", async () => {
      const once = await list({ first: 3, orderBy: { field: "ESTIMATED_VALUE", direction: "ASC" } });
      const again = await list({ first: 3, orderBy: { field: "ESTIMATED_VALUE", direction: "ASC" } });
      expect(again.edges.map((e: { cursor: string }) => e.cursor)).toEqual(once.edges.map((e: { cursor: string }) => e.cursor));
    });

    it("refuses a cursor of another ordering and a cursor it never gave out", async () => {
      const byTitle = await list({ first: 1, orderBy: { field: "TITLE", direction: "ASC" } });
      for (const after of [byTitle.pageInfo.endCursor, "garbage"]) {
        const result = await service.http(LIST, { first: 1, after, orderBy: { field: "CREATED_AT", direction: "ASC" } }, { key: me.apiKey });
        expect(fieldPaths(result)).toEqual(["after"]);
      }
    });

    it.each([0, 101])("refuses first: %i", async (first) => {
      expect(fieldPaths(await service.http(LIST, { first }, { key: me.apiKey }))).toEqual(["first"]);
    });

    it("refuses a filter id that is not a UUID, naming the filter field", async () => {
      const result = await service.http(LIST, { filter: { customerId: "x", ownerId: "y", workspaceId: "z" } }, { key: me.apiKey });
      expect(fieldPaths(result)).toEqual(["filter.customerId", "filter.ownerId", "filter.workspaceId"]);
    });

    it("lists no referral deals", async () => {
      const referral = await insertReferral(
        service.db,
        { organizationId: me.organizationId, workspaceId: me.workspaceId, ownerId: me.userId },
        { visibilityMode: VisibilityMode.GLOBAL },
      );
      const ids = (await list()).edges.map((e: { node: { id: string } }) => e.node.id);
      expect(ids).not.toContain(referral.id);
      expect(ids).toContain(deal.alpha.id);
    });
  });

  describe("statements", () => {
    let bulk: TestUser;

    /** 100 opportunities, each with its own customer, site, contact (employed by the customer) and a share. */
    beforeAll(async () => {
      const { db } = service;
      bulk = await createTenant(db);
      const organizationId = bulk.organizationId;
      const ownerCompany = await createCompany(db, organizationId, "Owner Co");
      await db.getRepository(Person).update({ organizationId, id: bulk.userId }, { companyId: ownerCompany.id });
      const seller = await createUser(db, organizationId, bulk.workspaceId, [], { companyId: ownerCompany.id });
      const shareTarget = await createWorkspace(db, organizationId, "Partners");
      const n = 100;
      const companies = await insertRows(db.manager, Company, Array.from({ length: n }, (_, i) => ({ organizationId, name: `Customer ${i}` })));
      const sites = await insertRows(db.manager, Site, companies.map((c) => ({ organizationId, companyId: c.id, name: `Site of ${c.name}` })));
      const contacts = await insertRows(
        db.manager,
        Person,
        companies.map((c, i) => ({ organizationId, type: PersonType.CONTACT, firstName: `Contact ${i}`, companyId: c.id })),
      );
      const stages = await Promise.all(["lead", "qualified", "proposal", "won"].map((key) => stageId(db, organizationId, Pipeline.SALES, key)));
      const deals = await insertRows(
        db.manager,
        Opportunity,
        companies.map((c, i) => ({
          organizationId,
          kind: "opportunity",
          name: `Bulk ${i}`,
          currency: "USD",
          stageId: stages[i % stages.length],
          ownerId: i % 2 === 0 ? bulk.userId : seller.userId,
          workspaceId: bulk.workspaceId,
          visibilityMode: VisibilityMode.SHARED,
          customerId: c.id,
          primaryContactId: contacts[i].id,
          siteId: sites[i].id,
          pipelineType: PipelineType.RETROFIT,
          probability: 50,
          budgetConfirmed: true,
          solutionFamilies: ["HVAC"],
        })) as any,
      );
      await insertRows(db.manager, DealShare, deals.map((d) => ({ organizationId, dealId: d.id, workspaceId: shareTarget })));
    });

    it("costs the same number of statements for 1, 10 and 100 opportunities with every nested field", async () => {
      dataOf(await service.http(`{ me { id } }`, {}, { key: bulk.apiKey })); // the key, now cached
      const counts: number[] = [];
      for (const first of [1, 10, 100]) {
        const result = await service.http(LIST_NESTED, { first }, { key: bulk.apiKey });
        const connection = dataOf(result).opportunities;
        expect(connection.edges).toHaveLength(first);
        expect(connection.totalCount).toBe(100);
        for (const { node } of connection.edges) {
          expect(node.customer.id).toBe(node.customerId);
          expect(node.site.company.id).toBe(node.customerId);
          expect(node.primaryContact.company.id).toBe(node.customerId);
          expect(node.owner.company.name).toBe("Owner Co");
          expect(node.sharedWith).toEqual([{ id: expect.any(String), name: "Partners" }]);
        }
        counts.push(result.sql);
      }
      // The page with its count and its to-one relations (see read-budgets.test.ts); the shares.
      expect(counts).toEqual([1, 1, 1].map(() => AUTH_LOOKUP_STATEMENTS + 2));
    });
  });
});
