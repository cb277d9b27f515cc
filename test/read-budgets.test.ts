import { createContext } from "../src/core/context/context";
import { createDataSource } from "../src/core/db/data-source";
import { insertRows } from "../src/core/db/insert";
import { MAX_PREPARED_PER_CONNECTION } from "../src/core/db/prepared";
import { DealShare } from "../src/modules/deal/deal-share.entity";
import { Person } from "../src/modules/person/person.entity";
import {
  createCompany,
  createPerson,
  createProduct,
  createSite,
  createTenant,
  createUser,
  createWorkspace,
  insertOpportunity,
  TestUser,
} from "./factories";
import { dataOf, GraphQLResult, useTestService } from "./support/harness";
import { AUTH_LOOKUP_STATEMENTS } from "./support/statements";

/**
 * The read paths' statement budgets (issue 12): a list page with totalCount in at most 3
 * statements, a deal by id in at most 2, each plus the API-key lookup. The page's own statement
 * brings the deals' to-one relations and primes the loaders with them; these tests also check
 * that what it brings is what the loaders fetch on their own, field for field.
 */

const PARTY = "type id firstName lastName email name role createdAt updatedAt company { id name domain createdAt updatedAt }";
const STAGE = "id key label color description sortOrder probability isWon isLost pipeline";
const REFERRAL = `
  id pipelineDealId name description expectedValue currency visibilityMode version stageEnteredAt closedAt archivedAt createdAt updatedAt
  stage { ${STAGE} }
  owner { ${PARTY} }
  workspace { id name }
  seeker { ${PARTY} }
  provider { ${PARTY} }
  connector { ${PARTY} }
  product { id name }
  facilitators { id userId companyId role side user { ${PARTY} } company { id name } }`;
const OPPORTUNITY = `
  id pipelineDealId title name description estimatedValue currency visibilityMode version stageEnteredAt closedAt archivedAt createdAt updatedAt
  pipelineType source expectedCloseDate probability solutionFamilies scopeSummary competitorNotes
  winLossReason nextStepDescription nextStepDate bidDueDate budgetConfirmed priority lostReasonCategory
  technicalRequirements customerId primaryContactId siteId ownerUserId workspaceId
  stage { ${STAGE} }
  customer { id name domain createdAt updatedAt }
  primaryContact { ${PARTY} }
  site { id name address company { id name } }
  owner { ${PARTY} }
  workspace { id name }`;
const connection = (node: string) => `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${node} } }`;

const REFERRAL_LIST = `query ($first: Int!, $after: String, $filter: ReferralOpportunityFilter) {
  referralOpportunities(first: $first, after: $after, filter: $filter) { ${connection(REFERRAL)} }
}`;
const OPPORTUNITY_LIST = (extra = "") => `query ($first: Int!) { opportunities(first: $first) { ${connection(OPPORTUNITY + extra)} } }`;
const PEOPLE = `query ($first: Int!) {
  people(first: $first) { ${connection(`${PARTY} referredBy { ${PARTY} }`)} }
}`;
const REFERRAL_BY_ID = `query ($id: ID!) { referralOpportunity(id: $id) { ${REFERRAL} } }`;
const OPPORTUNITY_BY_ID = (extra = "") => `query ($id: ID!) { opportunity(id: $id) { ${OPPORTUNITY + extra} } }`;
const DEAL_BY_ID = `query ($id: ID!) {
  pipelineDeal(id: $id) { __typename ... on ReferralOpportunity { ${REFERRAL} } ... on Opportunity { ${OPPORTUNITY} } }
}`;
const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id } } }`;

describe("read statement budgets", () => {
  const service = useTestService();
  let me: TestUser;
  let colleague: TestUser;
  let shareWorkspace: string;

  /** Answers for `me`, with the statements they took. */
  const ask = (query: string, variables: Record<string, unknown> = {}, as: TestUser = me) => service.http(query, variables, { key: as.apiKey });

  beforeAll(async () => {
    const db = service.db;
    me = await createTenant(db);
    const org = me.organizationId;
    const [acme, beta] = [await createCompany(db, org, "Acme Inc"), await createCompany(db, org, "Beta LLC")];
    await db.getRepository(Person).update({ organizationId: org, id: me.userId }, { companyId: acme.id });
    colleague = await createUser(db, org, me.workspaceId, [], { firstName: "Cole", companyId: beta.id });
    shareWorkspace = await createWorkspace(db, org, "Partners");
    const source = await createPerson(db, org, { firstName: "Sam", lastName: "Source", companyId: acme.id });
    const people = [
      await createPerson(db, org, { companyId: acme.id, referredById: source.id }),
      await createPerson(db, org, { companyId: beta.id }),
      await createPerson(db, org, { companyId: null, name: "Nobody's", email: "nobody@example.com" }),
      await createPerson(db, org, { companyId: beta.id, referredById: source.id }),
    ];
    const product = await createProduct(db, org, beta.id);
    // Referrals of every shape: each party with or without employer, with and without product
    // and value, owned by either user, facilitated by referral sources or not.
    for (let n = 0; n < 12; n++) {
      const input = {
        seekerId: people[n % 4].id,
        providerId: people[(n + 1) % 4].id,
        connectorId: n % 3 === 0 ? undefined : people[(n + 2) % 4].id,
        productId: n % 2 === 0 ? product.id : undefined,
        expectedValue: n % 5 === 0 ? undefined : n * 1000.5,
        description: n % 2 === 0 ? `Note ${n}` : undefined,
      };
      dataOf(await ask(CREATE_REFERRAL, { input }, n % 3 === 2 ? colleague : me));
    }
    const where = { organizationId: org, workspaceId: me.workspaceId, ownerId: me.userId };
    const site = await createSite(db, org, acme.id);
    for (let n = 0; n < 6; n++) {
      const opportunity = await insertOpportunity(db, n % 2 === 0 ? where : { ...where, ownerId: colleague.userId }, {
        customerId: n % 2 === 0 ? acme.id : beta.id,
        primaryContactId: n % 3 === 0 ? null : people[n % 4].id,
        siteId: n % 2 === 0 ? site.id : null,
        value: n % 3 === 0 ? null : String(n * 10),
      });
      if (n % 2 === 1) await insertRows(db.manager, DealShare, [{ organizationId: org, dealId: opportunity.id, workspaceId: shareWorkspace }]);
    }
  });

  /**
   * The same entities read one root query at a time, through the loaders alone (nothing joined
   * or primed by a list): `person(id)`, `company(id)`, `product(id)`, `site(id)`, `stages`, `me`.
   */
  async function separately(node: Record<string, any>): Promise<Record<string, unknown>> {
    const read = async (query: string, variables: Record<string, unknown> = {}) => dataOf(await ask(query, variables));
    const person = async (value: { id: string } | null) =>
      value && (await read(`query ($id: ID!) { person(id: $id) { ${PARTY} } }`, { id: value.id })).person;
    const stages = (await read(`{ REFERRAL: stages(pipeline: REFERRAL) { ${STAGE} } SALES: stages(pipeline: SALES) { ${STAGE} } }`)) as Record<
      string,
      Array<{ id: string }>
    >;
    const theirs: Record<string, unknown> = {
      stage: [...stages.REFERRAL, ...stages.SALES].find((stage) => stage.id === node.stage.id),
      owner: await person(node.owner),
      workspace: (await read(`{ me { workspace { id name } } }`)).me.workspace,
    };
    if ("seeker" in node) {
      Object.assign(theirs, {
        seeker: await person(node.seeker),
        provider: await person(node.provider),
        connector: await person(node.connector),
        product: node.product && (await read(`query ($id: ID!) { product(id: $id) { id name } }`, { id: node.product.id })).product,
      });
    } else {
      Object.assign(theirs, {
        customer: (await read(`query ($id: ID!) { company(id: $id) { id name domain createdAt updatedAt } }`, { id: node.customerId })).company,
        primaryContact: await person(node.primaryContact),
        site: node.site && (await read(`query ($id: ID!) { site(id: $id) { id name address company { id name } } }`, { id: node.site.id })).site,
      });
    }
    return theirs;
  }

  const edgesOf = (result: GraphQLResult, field: string) => dataOf(result)[field].edges.map((edge: any) => edge.node);

  describe("referralOpportunities", () => {
    it("lists 100 with every nested field, facilitators included, and totalCount in 1 statement", async () => {
      const result = await ask(REFERRAL_LIST, { first: 100 });
      expect(result.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
      const list = dataOf(result).referralOpportunities;
      expect(list.totalCount).toBe(12);
      expect(list.edges).toHaveLength(12);
      expect(list.edges.filter((edge: any) => edge.node.facilitators.length > 0).length).toBeGreaterThan(0);
      expect(list.edges.filter((edge: any) => edge.node.product === null).length).toBe(6);
      expect(list.edges.filter((edge: any) => edge.node.owner.id === colleague.userId).length).toBe(4);
    });

    it("answers each deal's relations exactly as the loaders read them one by one, and as the deal by id", async () => {
      const nodes = edgesOf(await ask(REFERRAL_LIST, { first: 100 }), "referralOpportunities");
      for (const node of nodes) {
        expect(node).toMatchObject(await separately(node));
        expect(dataOf(await ask(REFERRAL_BY_ID, { id: node.id })).referralOpportunity).toEqual(node);
      }
    });

    it("brings each deal's facilitators, in order, exactly as their loader reads them on its own (the board's deals are not primed)", async () => {
      const FACILITATORS = `facilitators { id userId companyId role side createdAt user { ${PARTY} } company { id name domain } }`;
      const listed = edgesOf(await ask(`{ referralOpportunities(first: 100) { edges { node { id ${FACILITATORS} } } } }`), "referralOpportunities");
      const board = dataOf(
        await ask(`{ pipelineBoard(pipeline: REFERRAL, dealsPerStage: 12) { columns { deals { edges { node { id ... on ReferralOpportunity { ${FACILITATORS} } } } } } } }`),
      ).pipelineBoard;
      const onBoard = board.columns.flatMap((column: any) => column.deals.edges.map((edge: any) => edge.node));
      expect(listed).toHaveLength(12);
      expect(new Map(listed.map((node: any) => [node.id, node]))).toEqual(new Map(onBoard.map((node: any) => [node.id, node])));
      expect(listed.filter((node: any) => node.facilitators.length > 1).length).toBeGreaterThan(0);
      expect(listed.some((node: any) => node.facilitators.some((f: any) => f.company !== null))).toBe(true);
    });

    it("counts in the page's statement whatever the page holds: an empty first page, a page past the end", async () => {
      const none = await ask(REFERRAL_LIST, { first: 5, filter: { search: "no such words anywhere" } });
      expect(dataOf(none).referralOpportunities).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
      expect(none.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);

      const pages: number[] = [];
      let after: string | null = null;
      let sql = 0;
      do {
        const page: GraphQLResult = await ask(`query ($after: String) { referralOpportunities(first: 5, after: $after) { ${connection("id")} } }`, { after });
        const list = dataOf(page).referralOpportunities;
        expect(list.totalCount).toBe(12);
        pages.push(list.edges.length);
        sql = page.sql;
        after = list.pageInfo.hasNextPage ? list.pageInfo.endCursor : null;
      } while (after);
      expect(pages).toEqual([5, 5, 2]);
      expect(sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);

      // Asked after the last deal: the count comes all the same.
      const last = dataOf(await ask(`{ referralOpportunities(first: 12) { edges { cursor } } }`)).referralOpportunities.edges.at(-1).cursor;
      const past = await ask(`query ($after: String) { referralOpportunities(first: 5, after: $after) { totalCount edges { cursor } } }`, { after: last });
      expect(dataOf(past).referralOpportunities).toEqual({ totalCount: 12, edges: [] });
      expect(past.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
    });

    it("counts in the page's statement when totalCount is asked for through fragments, and reads the page alone without it", async () => {
      const without = await ask(`{ referralOpportunities(first: 3) { edges { node { id } } } }`);
      const viaFragment = await ask(`{ referralOpportunities(first: 3) { ...Counted } } fragment Counted on ReferralOpportunityConnection { ... { totalCount } }`);
      expect(dataOf(viaFragment).referralOpportunities.totalCount).toBe(12);
      expect([without.sql, viaFragment.sql]).toEqual([AUTH_LOOKUP_STATEMENTS + 1, AUTH_LOOKUP_STATEMENTS + 1]);
    });
  });

  describe("opportunities", () => {
    it("lists 100 with every to-one field and totalCount in 1 statement, and the shares in 1 more", async () => {
      const result = await ask(OPPORTUNITY_LIST(), { first: 100 });
      expect(result.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
      expect(dataOf(result).opportunities.totalCount).toBe(6);
      const shared = await ask(OPPORTUNITY_LIST("sharedWith { id name }"), { first: 100 });
      expect(shared.sql).toBe(AUTH_LOOKUP_STATEMENTS + 2);
      expect(edgesOf(shared, "opportunities").filter((node: any) => node.sharedWith.length === 1)).toHaveLength(3);
    });

    it("answers each opportunity's relations exactly as the loaders read them one by one, and as the deal by id", async () => {
      const nodes = edgesOf(await ask(OPPORTUNITY_LIST(), { first: 100 }), "opportunities");
      expect(nodes.filter((node: any) => node.primaryContact === null)).toHaveLength(2);
      expect(nodes.filter((node: any) => node.site === null)).toHaveLength(3);
      for (const node of nodes) {
        expect(node).toMatchObject(await separately(node));
        expect(dataOf(await ask(OPPORTUNITY_BY_ID(), { id: node.id })).opportunity).toEqual(node);
      }
    });
  });

  describe("people", () => {
    it("lists 100 with employers, referral sources (with theirs) and totalCount in 1 statement", async () => {
      const result = await ask(PEOPLE, { first: 100 });
      expect(result.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
      const people = dataOf(result).people;
      expect(people.totalCount).toBe(people.edges.length);
      for (const { node } of people.edges) {
        const { person } = dataOf(await ask(`query ($id: ID!) { person(id: $id) { ${PARTY} referredBy { ${PARTY} } } }`, { id: node.id }));
        expect(node).toEqual(person);
      }
    });
  });

  describe("prepared statements", () => {
    it("answers the same whether a list's statement is prepared, past the number a connection keeps, or sent unnamed", async () => {
      // Every page size is a text of its own: more texts than a connection keeps prepared.
      const ids = edgesOf(await ask(`{ referralOpportunities(first: 12) { edges { node { id } } } }`), "referralOpportunities").map((node: any) => node.id);
      for (let first = 1; first <= MAX_PREPARED_PER_CONNECTION + 6; first++) {
        const page = await ask(`query ($first: Int!) { referralOpportunities(first: $first) { totalCount edges { node { id stage { key } } } } }`, { first });
        const list = dataOf(page).referralOpportunities;
        expect(list.edges.map((edge: any) => edge.node.id)).toEqual(ids.slice(0, first));
        expect(list.totalCount).toBe(12);
        expect(page.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
      }
      // A search is planned for its words each time: sent unnamed, with the same answer.
      const searched = await ask(`{ referralOpportunities(first: 20, filter: { search: "Acme" }) { totalCount } }`);
      expect(dataOf(searched).referralOpportunities.totalCount).toBeGreaterThan(0);
    });

    // The embedded database sends every statement unnamed.
    (process.env.DEALGRAPH_TEST_EMBEDDED === "true" ? it.skip : it)("plans a list's and a deal's statements once per connection: generic plans from the first run", async () => {
      // One connection, so the statements the requests named are this session's to look at.
      const db = createDataSource({ url: process.env.DEALGRAPH_TEST_DATABASE_URL!, poolMax: 1, applicationName: service.applicationName });
      await db.initialize();
      try {
        const run = async (query: string, variables: Record<string, unknown>) => {
          const response = await service.apollo.executeOperation({ query, variables }, { contextValue: createContext(db, me.viewer) });
          if (response.body.kind !== "single") throw new Error("expected a single result");
          expect(response.body.singleResult.errors).toBeUndefined();
          return response.body.singleResult.data as Record<string, any>;
        };
        const runs = 3;
        let id = "";
        for (let n = 0; n < runs; n++) {
          id = (await run(OPPORTUNITY_LIST(), { first: 100 })).opportunities.edges[0].node.id;
          await run(REFERRAL_LIST, { first: 5 });
          await run(PEOPLE, { first: 5 });
          await run(OPPORTUNITY_BY_ID(), { id });
        }
        const plans: Array<{ statement: string; generic_plans: string; custom_plans: string }> = await db.query(
          `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'dealgraph\\_%'`,
        );
        expect(plans.map((plan) => plan.statement).filter((text) => /"pipeline_deal" "deal"/.test(text))).toHaveLength(3);
        expect(plans.map((plan) => plan.statement).filter((text) => /FROM "person" "person"/.test(text))).toHaveLength(1);
        for (const plan of plans) expect([plan.statement.slice(0, 60), Number(plan.custom_plans), Number(plan.generic_plans)]).toEqual([plan.statement.slice(0, 60), 0, runs]);
      } finally {
        await db.destroy();
      }
    });
  });

  describe("a deal by id", () => {
    it("reads a referral with every nested field, facilitators included, in 1 statement", async () => {
      const [node] = edgesOf(await ask(REFERRAL_LIST, { first: 1 }), "referralOpportunities");
      const result = await ask(REFERRAL_BY_ID, { id: node.id });
      expect(dataOf(result).referralOpportunity).toEqual(node);
      expect(result.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
      const asDeal = await ask(DEAL_BY_ID, { id: node.id });
      expect(dataOf(asDeal).pipelineDeal).toEqual({ __typename: "ReferralOpportunity", ...node });
      expect(asDeal.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
    });

    it("reads an opportunity with every to-one field in 1 statement, and its shares in 1 more", async () => {
      const nodes = edgesOf(await ask(OPPORTUNITY_LIST("sharedWith { id name }"), { first: 100 }), "opportunities");
      const full = nodes.find((node: any) => node.primaryContact && node.site)!;
      const { sharedWith, ...toOne } = full;
      const result = await ask(OPPORTUNITY_BY_ID(), { id: full.id });
      expect(dataOf(result).opportunity).toEqual(toOne);
      expect(result.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
      const withShares = await ask(OPPORTUNITY_BY_ID("sharedWith { id name }"), { id: full.id });
      expect(dataOf(withShares).opportunity).toEqual({ ...toOne, sharedWith });
      expect(withShares.sql).toBe(AUTH_LOOKUP_STATEMENTS + 2);
      const asDeal = await ask(DEAL_BY_ID, { id: full.id });
      expect(dataOf(asDeal).pipelineDeal).toEqual({ __typename: "Opportunity", ...toOne });
      expect(asDeal.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
    });
  });
});
