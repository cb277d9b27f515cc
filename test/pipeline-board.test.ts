import { VisibilityMode } from "../src/modules/deal/deal.enums";
import { createCompany, createTenant, createUser, createWorkspace, insertOpportunity, insertReferral, TestUser } from "./factories";
import { dataOf, errorOf, fieldPaths, GraphQLResult, useTestService } from "./support/harness";

const COLUMNS = `
  stage { id key }
  count
  totalValue { currency amount }
  weightedValue { currency amount }
  deals { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name } } }`;
const BOARD = `query Board($pipeline: Pipeline!, $filter: PipelineBoardFilter, $dealsPerStage: Int) {
  pipelineBoard(pipeline: $pipeline, filter: $filter, dealsPerStage: $dealsPerStage) { pipeline columns { ${COLUMNS} } } }`;
const COLUMN = `query Column($stageId: ID!, $filter: PipelineBoardFilter, $first: Int, $after: String) {
  pipelineColumn(stageId: $stageId, filter: $filter, first: $first, after: $after) { ${COLUMNS} } }`;
/** What a Kanban card shows: both kinds of deal through the interface, with their parties. */
const KANBAN = `query KanbanBoard($pipeline: Pipeline!) {
  pipelineBoard(pipeline: $pipeline, dealsPerStage: 20) {
    columns {
      stage { id key label color }
      count totalValue { currency amount } weightedValue { currency amount }
      deals {
        pageInfo { hasNextPage endCursor }
        edges { node {
          __typename id name currency stageEnteredAt stage { id key } owner { id firstName }
          ... on ReferralOpportunity { expectedValue seeker { id name company { id name } } provider { id name company { id name } } }
          ... on Opportunity { estimatedValue probability customer { id name } }
        } }
      }
    }
  }
}`;

interface Column {
  stage: { id: string; key: string };
  count: number;
  totalValue: Array<{ currency: string; amount: string }>;
  weightedValue: Array<{ currency: string; amount: string }>;
  deals: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: Array<{ cursor: string; node: { id: string; name: string } }>;
  };
}

describe("pipelineBoard and pipelineColumn", () => {
  const service = useTestService();

  /** A new organization, its stages by key (read as its user reads them), and a way to add deals to it. */
  async function organization() {
    const me = await createTenant(service.db);
    const stages: Record<string, Record<string, string>> = {};
    for (const pipeline of ["REFERRAL", "SALES"]) {
      const { stages: list } = dataOf(await service.http(`{ stages(pipeline: ${pipeline}) { id key } }`, {}, { key: me.apiKey }));
      stages[pipeline] = Object.fromEntries(list.map((stage: { id: string; key: string }) => [stage.key, stage.id]));
    }
    const mine = { organizationId: me.organizationId, workspaceId: me.workspaceId, ownerId: me.userId };
    return { me, stages, mine };
  }

  const board = (user: TestUser, variables: Record<string, unknown>) => service.http(BOARD, variables, { key: user.apiKey });
  const columnsOf = (result: GraphQLResult): Record<string, Column> =>
    Object.fromEntries(dataOf(result).pipelineBoard.columns.map((column: Column) => [column.stage.key, column]));
  const namesIn = (column: Column) => column.deals.edges.map((edge) => edge.node.name);
  /** Sets when a deal was made, so that the newest-first order is known. */
  const madeAt = (id: string, at: string) => service.db.query(`UPDATE pipeline_deal SET created_at = $2 WHERE id = $1`, [id, at]);

  describe("counts and sums", () => {
    let me: TestUser;
    let stages: Record<string, Record<string, string>>;

    beforeAll(async () => {
      const org = await organization();
      ({ me, stages } = org);
      const { mine } = org;
      const referral = (stage: string, values: Record<string, unknown>) => insertReferral(service.db, mine, { stageId: stages.REFERRAL[stage], ...values });
      // lead (probability 10): 100 + 50.5 USD, 200 EUR, one USD deal without a value, one archived.
      await referral("lead", { name: "A", value: "100", currency: "USD" });
      await referral("lead", { name: "B", value: "50.5", currency: "USD" });
      await referral("lead", { name: "C", value: "200", currency: "EUR" });
      await referral("lead", { name: "D", value: null, currency: "USD" });
      await referral("lead", { name: "Archived", value: "1000", currency: "USD", archivedAt: new Date(), archivedById: me.userId });
      // introduced (30): 1000.1234 GBP. meeting: nothing. won (100): 300 USD. lost (0): 80 USD.
      await referral("introduced", { name: "E", value: "1000.1234", currency: "GBP" });
      await referral("won", { name: "F", value: "300", currency: "USD", closedAt: new Date() });
      await referral("lost", { name: "G", value: "80", currency: "USD", closedAt: new Date() });
      // SALES: an opportunity is weighted by its own probability, not its stage's (lead: 10).
      const customerId = (await createCompany(service.db, me.organizationId)).id;
      await insertOpportunity(service.db, mine, { customerId, stageId: stages.SALES.lead, name: "H", value: "1000", currency: "USD", probability: 55 });
      await insertOpportunity(service.db, mine, { customerId, stageId: stages.SALES.lead, name: "I", value: "10.01", currency: "USD", probability: 33 });
      await insertOpportunity(service.db, mine, { customerId, stageId: stages.SALES.proposal, name: "J", value: "999", currency: "CHF", probability: 0 });
    });

    it("draws every stage in order with its count and its value per currency, weighted by the stage's probability for referrals", async () => {
      const result = await board(me, { pipeline: "REFERRAL" });
      expect(dataOf(result).pipelineBoard.pipeline).toBe("REFERRAL");
      const columns = dataOf(result).pipelineBoard.columns as Column[];
      expect(columns.map((column) => column.stage.key)).toEqual(["lead", "introduced", "meeting", "won", "lost"]);
      const byKey = columnsOf(result);
      // By hand: lead 100 + 50.5 = 150.5 USD (× 10% = 15.05) and 200 EUR (20); the deal without a value counts, adds nothing.
      expect(byKey.lead).toMatchObject({
        count: 4,
        totalValue: [{ currency: "EUR", amount: "200" }, { currency: "USD", amount: "150.5" }],
        weightedValue: [{ currency: "EUR", amount: "20" }, { currency: "USD", amount: "15.05" }],
      });
      expect(byKey.lead.deals.totalCount).toBe(4);
      expect(byKey.introduced).toMatchObject({
        count: 1,
        totalValue: [{ currency: "GBP", amount: "1000.1234" }],
        weightedValue: [{ currency: "GBP", amount: "300.03702" }],
      });
      expect(byKey.meeting).toMatchObject({ count: 0, totalValue: [], weightedValue: [] });
      expect(byKey.meeting.deals).toEqual({
        totalCount: 0,
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
        edges: [],
      });
      expect(byKey.won).toMatchObject({ count: 1, totalValue: [{ currency: "USD", amount: "300" }], weightedValue: [{ currency: "USD", amount: "300" }] });
      expect(byKey.lost).toMatchObject({ count: 1, totalValue: [{ currency: "USD", amount: "80" }], weightedValue: [{ currency: "USD", amount: "0" }] });
    });

    it("weights an opportunity by its own probability, not its stage's", async () => {
      const byKey = columnsOf(await board(me, { pipeline: "SALES" }));
      expect(Object.keys(byKey)).toEqual(["lead", "qualified", "survey", "proposal", "negotiation", "won", "lost"]);
      // 1000 × 55% + 10.01 × 33% = 550 + 3.3033; the stage's 10% would give 101.001.
      expect(byKey.lead).toMatchObject({ count: 2, totalValue: [{ currency: "USD", amount: "1010.01" }], weightedValue: [{ currency: "USD", amount: "553.3033" }] });
      expect(byKey.proposal).toMatchObject({ count: 1, totalValue: [{ currency: "CHF", amount: "999" }], weightedValue: [{ currency: "CHF", amount: "0" }] });
      expect(namesIn(byKey.lead).sort()).toEqual(["H", "I"]);
    });

    it("treats filter: null as no filter, on the board as on a column", async () => {
      const unfiltered = columnsOf(await board(me, { pipeline: "REFERRAL" }));
      expect(columnsOf(await board(me, { pipeline: "REFERRAL", filter: null }))).toEqual(unfiltered);
      const literal = await service.http(`{ pipelineBoard(pipeline: REFERRAL, filter: null) { columns { ${COLUMNS} } } }`, {}, { key: me.apiKey });
      expect(columnsOf(literal)).toEqual(unfiltered);
      const column = await service.http(COLUMN, { stageId: stages.REFERRAL.lead, filter: null }, { key: me.apiKey });
      expect(dataOf(column).pipelineColumn).toEqual(unfiltered.lead);
    });

    it("takes the lists' filters: archived, closed", async () => {
      const archived = columnsOf(await board(me, { pipeline: "REFERRAL", filter: { archived: true } }));
      expect(archived.lead).toMatchObject({ count: 1, totalValue: [{ currency: "USD", amount: "1000" }] });
      expect(namesIn(archived.lead)).toEqual(["Archived"]);
      expect(archived.won.count).toBe(0);
      const open = columnsOf(await board(me, { pipeline: "REFERRAL", filter: { closed: false } }));
      expect([open.lead.count, open.introduced.count, open.won.count, open.lost.count]).toEqual([4, 1, 0, 0]);
      const closed = columnsOf(await board(me, { pipeline: "REFERRAL", filter: { closed: true } }));
      expect([closed.lead.count, closed.won.count, closed.lost.count]).toEqual([0, 1, 1]);
      expect(namesIn(closed.won)).toEqual(["F"]);
    });

    it("answers a Kanban view's query with both kinds of deal through the interface", async () => {
      const referrals = dataOf(await service.http(KANBAN, { pipeline: "REFERRAL" }, { key: me.apiKey })).pipelineBoard.columns;
      const card = referrals[0].deals.edges[0].node;
      expect(card).toMatchObject({ __typename: "ReferralOpportunity", stage: { key: "lead" }, owner: { id: me.userId } });
      expect(card.seeker.id).toEqual(expect.any(String));
      const sales = dataOf(await service.http(KANBAN, { pipeline: "SALES" }, { key: me.apiKey })).pipelineBoard.columns;
      expect(sales[0].deals.edges.map((edge: any) => edge.node)).toEqual(
        expect.arrayContaining([expect.objectContaining({ __typename: "Opportunity", name: "H", estimatedValue: "1000", probability: 55 })]),
      );
    });
  });

  describe("columns and paging", () => {
    let me: TestUser;
    let stages: Record<string, Record<string, string>>;

    beforeAll(async () => {
      const org = await organization();
      ({ me, stages } = org);
      // Seven deals in lead, made a minute apart: L1 oldest … L7 newest; two in meeting.
      for (let i = 1; i <= 7; i++) {
        const deal = await insertReferral(service.db, org.mine, { stageId: stages.REFERRAL.lead, name: `L${i}`, value: String(i) });
        await madeAt(deal.id, `2026-01-01T10:0${i}:00Z`);
      }
      for (const name of ["M1", "M2"]) await insertReferral(service.db, org.mine, { stageId: stages.REFERRAL.meeting, name });
    });

    it("lists the first dealsPerStage deals of each column, newest first, and says whether more follow", async () => {
      const byKey = columnsOf(await board(me, { pipeline: "REFERRAL", dealsPerStage: 3 }));
      expect(namesIn(byKey.lead)).toEqual(["L7", "L6", "L5"]);
      expect(byKey.lead.deals.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      expect(byKey.lead.deals.pageInfo.startCursor).toBe(byKey.lead.deals.edges[0].cursor);
      expect(byKey.lead.deals.pageInfo.endCursor).toBe(byKey.lead.deals.edges[2].cursor);
      expect(byKey.lead.count).toBe(7);
      expect(namesIn(byKey.meeting).sort()).toEqual(["M1", "M2"]);
      expect(byKey.meeting.deals.pageInfo.hasNextPage).toBe(false);
      const defaults = columnsOf(await board(me, { pipeline: "REFERRAL" }));
      expect(namesIn(defaults.lead)).toEqual(["L7", "L6", "L5", "L4", "L3", "L2", "L1"]);
      expect(defaults.lead.deals.pageInfo.hasNextPage).toBe(false);
    });

    it("lists a column in the order of the referral list, whose cursors it shares", async () => {
      const list = dataOf(
        await service.http(`{ referralOpportunities(first: 3, filter: { stageId: "${stages.REFERRAL.lead}" }) { edges { cursor node { name } } } }`, {}, { key: me.apiKey }),
      ).referralOpportunities.edges;
      const byKey = columnsOf(await board(me, { pipeline: "REFERRAL", dealsPerStage: 3 }));
      expect(byKey.lead.deals.edges.map((edge) => [edge.cursor, edge.node.name])).toEqual(list.map((edge: any) => [edge.cursor, edge.node.name]));
    });

    it("pages one column with pipelineColumn from the board's endCursor, to its end", async () => {
      const lead = columnsOf(await board(me, { pipeline: "REFERRAL", dealsPerStage: 3 })).lead;
      const next = await service.http(COLUMN, { stageId: stages.REFERRAL.lead, first: 3, after: lead.deals.pageInfo.endCursor }, { key: me.apiKey });
      const second = dataOf(next).pipelineColumn as Column;
      expect(second.stage.key).toBe("lead");
      expect(namesIn(second)).toEqual(["L4", "L3", "L2"]);
      expect(second.deals.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
      expect(second).toMatchObject({ count: 7, deals: { totalCount: 7 }, totalValue: [{ currency: "USD", amount: "28" }] });
      const last = dataOf(await service.http(COLUMN, { stageId: stages.REFERRAL.lead, first: 3, after: second.deals.pageInfo.endCursor }, { key: me.apiKey }))
        .pipelineColumn as Column;
      expect(namesIn(last)).toEqual(["L1"]);
      expect(last.deals.pageInfo.hasNextPage).toBe(false);
    });

    it("pages a column in two statements, reading its count and sums only when asked", async () => {
      await service.http(`{ me { id } }`, {}, { key: me.apiKey }); // the key is known from here on: no statement
      const lean = await service.http(
        `query ($stageId: ID!) { pipelineColumn(stageId: $stageId, first: 2) { stage { id } deals { edges { node { id } } } } }`,
        { stageId: stages.REFERRAL.lead },
        { key: me.apiKey },
      );
      expect(dataOf(lean).pipelineColumn.deals.edges).toHaveLength(2);
      // The stage, the page.
      expect(lean.sql).toBe(2);
      const full = await service.http(COLUMN, { stageId: stages.REFERRAL.lead, first: 2 }, { key: me.apiKey });
      // … and the count with the sums.
      expect(full.sql).toBe(3);
    });

    it("counts the board as dealsPerStage times its selection for the operation cost limit", async () => {
      const heavy = `query ($dealsPerStage: Int!) { pipelineBoard(pipeline: REFERRAL, dealsPerStage: $dealsPerStage) { columns { stage { id }
        deals { edges { node { id ... on ReferralOpportunity { facilitators { id role side user { id firstName lastName email } company { id name } } } } } } } } }`;
      expect(dataOf(await service.http(heavy, { dealsPerStage: 20 }, { key: me.apiKey })).pipelineBoard.columns).toHaveLength(5);
      const refused = await service.http(heavy, { dealsPerStage: 100 }, { key: me.apiKey });
      expect(refused.status).toBe(400);
      expect(errorOf(refused).extensions).toMatchObject({ code: "OPERATION_LIMIT_EXCEEDED", limit: "cost" });
    });

    it("answers NOT_FOUND for a stage that is not one of the organization's", async () => {
      for (const stageId of ["3f1e9c2a-8b7d-4c6e-9a5b-1d2c3e4f5a6b", "not-a-uuid"]) {
        const result = await service.http(COLUMN, { stageId }, { key: me.apiKey });
        expect(errorOf(result).extensions!.code).toBe("NOT_FOUND");
        expect(result.body.data).toEqual({ pipelineColumn: null });
      }
    });

    it("refuses dealsPerStage, first and after out of range with BAD_USER_INPUT naming them", async () => {
      for (const dealsPerStage of [0, 101, -1]) {
        const result = await board(me, { pipeline: "REFERRAL", dealsPerStage });
        expect(fieldPaths(result)).toEqual(["dealsPerStage"]);
        expect(errorOf(result).message).toMatch(/dealsPerStage/);
      }
      expect(fieldPaths(await service.http(COLUMN, { stageId: stages.REFERRAL.lead, first: 101 }, { key: me.apiKey }))).toEqual(["first"]);
      expect(fieldPaths(await service.http(COLUMN, { stageId: stages.REFERRAL.lead, after: "bogus" }, { key: me.apiKey }))).toEqual(["after"]);
      // The largest board a Kanban view may ask for is within the operation cost limit.
      const largest = await service.http(KANBAN.replace("dealsPerStage: 20", "dealsPerStage: 100"), { pipeline: "SALES" }, { key: me.apiKey });
      expect(largest.body.errors).toBeUndefined();
      const badFilter = await board(me, { pipeline: "REFERRAL", filter: { search: "x".repeat(201), ownerId: "nobody" } });
      expect(fieldPaths(badFilter)).toEqual(["filter.ownerId", "filter.search"]);
    });
  });

  describe("visibility and search", () => {
    let me: TestUser;
    let stages: Record<string, Record<string, string>>;

    beforeAll(async () => {
      const org = await organization();
      ({ me, stages } = org);
      const lead = stages.REFERRAL.lead;
      const elsewhere = await createWorkspace(service.db, me.organizationId, "Elsewhere");
      const colleague = await createUser(service.db, me.organizationId, elsewhere);
      const theirs = { organizationId: me.organizationId, workspaceId: elsewhere, ownerId: colleague.userId };
      const { GLOBAL, WORKSPACE_LOCAL, SHARED } = VisibilityMode;
      await insertReferral(service.db, org.mine, { stageId: lead, name: "Mine", value: "1", visibilityMode: WORKSPACE_LOCAL });
      await insertReferral(service.db, theirs, { stageId: lead, name: "Their private one", value: "1000", visibilityMode: WORKSPACE_LOCAL });
      await insertReferral(service.db, theirs, { stageId: lead, name: "Their global one", value: "10", visibilityMode: GLOBAL });
      // SHARED, but with nobody: only their workspace sees it.
      await insertReferral(service.db, theirs, { stageId: lead, name: "Their shared one", value: "100", visibilityMode: SHARED });
      // Another organization's deals, GLOBAL there, in the same stage ids as far as they are shared.
      const outsider = await createTenant(service.db);
      const outside = { organizationId: outsider.organizationId, workspaceId: outsider.workspaceId, ownerId: outsider.userId };
      const { stages: theirStages } = dataOf(await service.http(`{ stages(pipeline: REFERRAL) { id key } }`, {}, { key: outsider.apiKey }));
      const outsiderLead = theirStages.find((stage: { key: string }) => stage.key === "lead").id;
      await insertReferral(service.db, outside, { stageId: outsiderLead, name: "Outsider's global one", value: "5000", visibilityMode: GLOBAL });
      await insertReferral(service.db, org.mine, { stageId: stages.REFERRAL.introduced, name: "Zoé's café intro", value: "7" });
      await insertReferral(service.db, org.mine, { stageId: stages.REFERRAL.introduced, name: "Another intro", value: "9" });
    });

    it("counts and lists only the deals the viewer may see, never another organization's", async () => {
      const { lead } = columnsOf(await board(me, { pipeline: "REFERRAL" }));
      expect(namesIn(lead).sort()).toEqual(["Mine", "Their global one"]);
      expect(lead).toMatchObject({ count: 2, totalValue: [{ currency: "USD", amount: "11" }] });
    });

    it("searches as the lists do, in any case and without accents, for the counts as for the deals", async () => {
      const { introduced, lead } = columnsOf(await board(me, { pipeline: "REFERRAL", filter: { search: "ZOE CAFE" } }));
      expect(namesIn(introduced)).toEqual(["Zoé's café intro"]);
      expect(introduced).toMatchObject({ count: 1, totalValue: [{ currency: "USD", amount: "7" }] });
      expect(lead.count).toBe(0);
      const column = dataOf(await service.http(COLUMN, { stageId: stages.REFERRAL.introduced, filter: { search: "zoe" } }, { key: me.apiKey }));
      expect(namesIn(column.pipelineColumn)).toEqual(["Zoé's café intro"]);
    });

    it("lists a searched column best matches first, as the searched list does, with the same cursors", async () => {
      for (const search of ["another intro", "intro", "cafe intro"]) {
        const { introduced } = columnsOf(await board(me, { pipeline: "REFERRAL", filter: { search } }));
        const list = dataOf(
          await service.http(
            `query ($filter: ReferralOpportunityFilter) { referralOpportunities(filter: $filter) { edges { cursor node { name } } } }`,
            { filter: { search, stageId: stages.REFERRAL.introduced } },
            { key: me.apiKey },
          ),
        ).referralOpportunities.edges;
        expect(introduced.deals.edges.map((edge) => [edge.cursor, edge.node.name])).toEqual(list.map((edge: any) => [edge.cursor, edge.node.name]));
        expect(introduced.count).toBe(search === "intro" ? 2 : 1);
      }
    });

    it("narrows to an owner or a workspace", async () => {
      const { lead } = columnsOf(await board(me, { pipeline: "REFERRAL", filter: { ownerId: me.userId } }));
      expect(namesIn(lead)).toEqual(["Mine"]);
      const { lead: theirs } = columnsOf(await board(me, { pipeline: "REFERRAL", filter: { workspaceId: me.workspaceId } }));
      expect(namesIn(theirs)).toEqual(["Mine"]);
    });
  });

  describe("statement budget", () => {
    it("draws the board in 3 statements, and one per relation of the cards, for 3 deals as for 30", async () => {
      const { me, stages, mine } = await organization();
      await service.http(`{ me { id } }`, {}, { key: me.apiKey }); // the key is known from here on: no statement
      const keys = ["lead", "introduced", "meeting"];
      const add = async (count: number) => {
        for (let i = 0; i < count; i++) await insertReferral(service.db, mine, { stageId: stages.REFERRAL[keys[i % 3]], value: String(i) });
      };
      const lean = `query { pipelineBoard(pipeline: REFERRAL) { columns { stage { id key } count totalValue { currency amount } deals { edges { node { id name stage { id } } } } } } }`;
      await add(3);
      const leanFew = await service.http(lean, {}, { key: me.apiKey });
      // The stages, the sums, the deals: the deals' stages come with the stages.
      expect(leanFew.sql).toBe(3);
      const few = await service.http(KANBAN, { pipeline: "REFERRAL" }, { key: me.apiKey });
      await add(27);
      const many = await service.http(KANBAN, { pipeline: "REFERRAL" }, { key: me.apiKey });
      const cards = (result: GraphQLResult) => dataOf(result).pipelineBoard.columns.reduce((sum: number, column: any) => sum + column.deals.edges.length, 0);
      expect([cards(few), cards(many)]).toEqual([3, 30]);
      // … and the people (owners, seekers, providers) with their employers, in one statement.
      expect(few.sql).toBe(4);
      expect(many.sql).toBe(few.sql);
      expect((await service.http(lean, {}, { key: me.apiKey })).sql).toBe(3);
      // SALES: the owners, and the customers (each opportunity's own company here).
      const addOpportunities = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const customerId = (await createCompany(service.db, me.organizationId)).id;
          await insertOpportunity(service.db, mine, { customerId, stageId: stages.SALES[keys[i % 3] === "lead" ? "lead" : "survey"] });
        }
      };
      await addOpportunities(3);
      const fewSales = await service.http(KANBAN, { pipeline: "SALES" }, { key: me.apiKey });
      await addOpportunities(27);
      const manySales = await service.http(KANBAN, { pipeline: "SALES" }, { key: me.apiKey });
      expect([cards(fewSales), cards(manySales)]).toEqual([3, 30]);
      expect([fewSales.sql, manySales.sql]).toEqual([5, 5]);
    });
  });
});
