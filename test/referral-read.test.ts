import { randomUUID } from "node:crypto";
import { Company } from "../src/modules/company/company.entity";
import { Person } from "../src/modules/person/person.entity";
import {
  createCompany,
  createPerson,
  createProduct,
  createTenant,
  createUser,
  createWorkspace,
  insertOpportunity,
  TestUser,
} from "./factories";
import { dataOf, errorOf, fieldPaths, GraphQLResult, useTestService } from "./support/harness";
import { AUTH_LOOKUP_STATEMENTS } from "./support/statements";

/** "NAME_ASC" → { field: "NAME", direction: "ASC" }, to keep the order tables short. */
const order = (spec: string) => ({ field: spec.slice(0, spec.lastIndexOf("_")), direction: spec.slice(spec.lastIndexOf("_") + 1) });

const DEAL_FIELDS = `
  id pipelineDealId name description expectedValue currency visibilityMode createdAt updatedAt
  stage { id key label color description sortOrder }
  owner { id firstName lastName email }
  workspace { id name }
  seeker { type id firstName lastName email name company { id name } }
  provider { type id firstName lastName email name company { id name } }
  connector { id firstName lastName email company { id name } }
  product { id name }
  facilitators { id userId companyId role side user { id firstName lastName email } company { id name } }`;

const CREATE = `mutation Create($input: CreateReferralOpportunityInput!) {
  createReferralOpportunity(input: $input) { data { ${DEAL_FIELDS} } }
}`;

const BY_ID = `query ($id: ID!) { referralOpportunity(id: $id) { ${DEAL_FIELDS} } }`;

const LIST = `query (
  $first: Int, $after: String, $filter: ReferralOpportunityFilter, $orderBy: ReferralOpportunityOrder
) {
  referralOpportunities(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}`;

const LIST_EVERYTHING = `query ($first: Int) {
  referralOpportunities(first: $first) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ${DEAL_FIELDS} } }
  }
}`;

/** People, companies and a product of one organization, ready to be put into deals. */
async function cast(service: ReturnType<typeof useTestService>, organizationId: string) {
  const db = service.db;
  const acme = await createCompany(db, organizationId, "Acme Inc");
  const beta = await createCompany(db, organizationId, "Beta Solutions LLC");
  const source = await createPerson(db, organizationId, { firstName: "Sam", lastName: "Source", companyId: acme.id });
  const person = (companyId: string | null, referredById: string | null = null) =>
    createPerson(db, organizationId, { companyId, referredById });
  return {
    acme,
    beta,
    seekers: [await person(acme.id, source.id), await person(acme.id)],
    providers: [await person(beta.id, source.id), await person(beta.id)],
    connectors: [await person(beta.id), await person(null), await person(acme.id)],
    product: await createProduct(db, organizationId, beta.id),
  };
}

/** A sales opportunity, written directly: the same table, another kind of deal. */
async function insertSalesOpportunity(service: ReturnType<typeof useTestService>, owner: TestUser, customer: Company) {
  const where = { organizationId: owner.organizationId, workspaceId: owner.workspaceId, ownerId: owner.userId };
  return (await insertOpportunity(service.db, where, { customerId: customer.id, name: "A sale" })).id;
}

describe("reading referral opportunities", () => {
  const service = useTestService();

  let tenant: TestUser;
  /** A member of the tenant's workspace and of a second one, where the tenant's owner is not. */
  let insider: TestUser;
  let people: Awaited<ReturnType<typeof cast>>;

  beforeAll(async () => {
    tenant = await createTenant(service.db);
    const second = await createWorkspace(service.db, tenant.organizationId, "Second");
    insider = await createUser(service.db, tenant.organizationId, tenant.workspaceId, [second]);
    insider = { ...insider, workspaceId: second, viewer: { ...insider.viewer, workspaceId: second } };
    people = await cast(service, tenant.organizationId);
  });

  async function create(input: Record<string, unknown>, as: TestUser = tenant) {
    const result = await service.http(CREATE, { input }, { key: as.apiKey, workspaceId: as.workspaceId });
    return dataOf(result).createReferralOpportunity.data;
  }

  const parties = (i = 0, j = 0, k = 0) => ({
    seekerId: people.seekers[i].id,
    providerId: people.providers[j].id,
    connectorId: people.connectors[k].id,
  });

  describe("by id", () => {
    it("answers referralOpportunity(id) with what the mutation answered", async () => {
      const created = await create({
        ...parties(),
        productId: people.product.id,
        expectedValue: 1234.5,
        description: "Warm",
      });
      const byHttp = await service.http(BY_ID, { id: created.id }, { key: tenant.apiKey });
      expect(dataOf(byHttp).referralOpportunity).toEqual(created);
      const byExec = await service.exec(BY_ID, { id: created.id }, tenant.viewer);
      expect(dataOf(byExec).referralOpportunity).toEqual(created);
      expect(created.facilitators.map((f: any) => [f.role, f.side])).toEqual([
        ["CONNECTOR", "PROVIDER"],
        ["REFERRAL_SOURCE", expect.any(String)],
        ["REFERRAL_SOURCE", expect.any(String)],
      ]);
    });

    it("lists facilitators in the same order right after creation as when read back", async () => {
      // Both referral sources' rows share a creation time, so only the id orders them: several deals
      // make an accidental match of the two orders vanishingly unlikely.
      for (let n = 0; n < 8; n++) {
        const created = await create(parties(0, 0, n % 3));
        expect(created.facilitators).toHaveLength(3);
        const read = dataOf(await service.http(BY_ID, { id: created.id }, { key: tenant.apiKey })).referralOpportunity;
        expect(read.facilitators.map((f: any) => f.id)).toEqual(created.facilitators.map((f: any) => f.id));
      }
    });

    it("answers pipelineDeal(id) with a ReferralOpportunity", async () => {
      const created = await create(parties(1, 1, 1));
      const result = await service.exec(
        `query ($id: ID!) { pipelineDeal(id: $id) { __typename id pipelineDealId name
           ... on ReferralOpportunity { expectedValue seeker { id } provider { id } connector { id } } } }`,
        { id: created.id },
        tenant.viewer,
      );
      expect(dataOf(result).pipelineDeal).toEqual({
        __typename: "ReferralOpportunity",
        id: created.id,
        pipelineDealId: created.id,
        name: created.name,
        expectedValue: null,
        seeker: { id: people.seekers[1].id },
        provider: { id: people.providers[1].id },
        connector: { id: people.connectors[1].id },
      });
    });

    it("is NOT_FOUND for a missing or malformed id, another organization's deal, a sales opportunity", async () => {
      const other = await createTenant(service.db);
      const theirs = await cast(service, other.organizationId);
      const foreign = await create(
        { seekerId: theirs.seekers[0].id, providerId: theirs.providers[0].id, connectorId: theirs.connectors[0].id },
        other,
      );
      const sales = await insertSalesOpportunity(service, tenant, people.acme);
      for (const id of [randomUUID(), "not-a-uuid", foreign.id, sales]) {
        const result = await service.http(BY_ID, { id }, { key: tenant.apiKey });
        expect(errorOf(result)).toMatchObject({
          message: `Referral opportunity ${id} was not found.`,
          extensions: { code: "NOT_FOUND" },
        });
      }
      const viaInterface = await service.http(`query ($id: ID!) { pipelineDeal(id: $id) { id } }`, { id: foreign.id }, {
        key: tenant.apiKey,
      });
      expect(errorOf(viaInterface).extensions?.code).toBe("NOT_FOUND");
    });

    it("is NOT_FOUND in a workspace the caller is not a member of, and found by its members", async () => {
      const hidden = await create(parties(), insider);
      expect(hidden.workspace.name).toBe("Second");
      for (const query of [BY_ID, `query ($id: ID!) { pipelineDeal(id: $id) { id } }`]) {
        const result = await service.http(query, { id: hidden.id }, { key: tenant.apiKey });
        expect(errorOf(result).extensions?.code).toBe("NOT_FOUND");
        // By-id reads are nullable: the one field is null, not the whole answer.
        expect(Object.values(result.body.data!)).toEqual([null]);
      }
      const seen = await service.http(BY_ID, { id: hidden.id }, { key: insider.apiKey });
      expect(dataOf(seen).referralOpportunity.id).toBe(hidden.id);
    });
  });

  describe("referralOpportunities", () => {
    /** A deal as the tests know it, to work out the expected order. */
    interface Known {
      id: string;
      name: string;
      value: number | null;
      createdAt: string;
      seeker: Person;
      provider: Person;
      connector: Person;
    }

    let list: TestUser;
    let listPeople: Awaited<ReturnType<typeof cast>>;
    let known: Known[];
    let hiddenId: string;
    let salesId: string;

    beforeAll(async () => {
      // An organization of its own, so these tests know every deal in it.
      list = await createTenant(service.db);
      const second = await createWorkspace(service.db, list.organizationId, "Elsewhere");
      const member = await createUser(service.db, list.organizationId, second);
      listPeople = await cast(service, list.organizationId);
      const { seekers: s, providers: p, connectors: c } = listPeople;
      const day = (n: number) => `2025-01-0${n}T00:00:00.000Z`;
      const plan: Array<Omit<Known, "id">> = [
        { name: "alpha", value: 100, createdAt: day(1), seeker: s[0], provider: p[0], connector: c[0] },
        { name: "Bravo", value: null, createdAt: day(2), seeker: s[0], provider: p[1], connector: c[0] },
        { name: "charlie", value: 10.5, createdAt: day(3), seeker: s[1], provider: p[0], connector: c[1] },
        // Ties with the one before on createdAt and expectedValue, with the first on name: the id decides.
        { name: "Alpha", value: 10.5, createdAt: day(3), seeker: s[1], provider: p[1], connector: c[1] },
        { name: "delta", value: 0, createdAt: day(4), seeker: s[0], provider: p[0], connector: c[1] },
        { name: "echo", value: null, createdAt: day(5), seeker: s[1], provider: p[0], connector: c[0] },
      ];
      known = [];
      for (const deal of plan) {
        const made = await create(
          {
            seekerId: deal.seeker.id,
            providerId: deal.provider.id,
            connectorId: deal.connector.id,
            name: deal.name,
            expectedValue: deal.value,
          },
          list,
        );
        await setCreatedAt(made.id, deal.createdAt);
        known.push({ ...deal, id: made.id });
      }
      const { seekers, providers, connectors } = listPeople;
      const hidden = await create(
        { seekerId: seekers[0].id, providerId: providers[0].id, connectorId: connectors[0].id },
        member,
      );
      hiddenId = hidden.id;
      await setCreatedAt(hiddenId, "2025-01-03T12:00:00.000Z");
      salesId = await insertSalesOpportunity(service, list, listPeople.acme);
    });

    async function setCreatedAt(id: string, createdAt: string) {
      await service.db.query(`UPDATE pipeline_deal SET created_at = $2 WHERE id = $1`, [id, createdAt]);
    }

    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const ascending: Record<string, (a: Known, b: Known) => number> = {
      CREATED_AT: (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || compare(a.id, b.id),
      NAME: (a, b) => compare(a.name.toLowerCase(), b.name.toLowerCase()) || compare(a.id, b.id),
      EXPECTED_VALUE: (a, b) => (a.value ?? -1) - (b.value ?? -1) || compare(a.id, b.id),
    };
    const expectedOrder = (key: string, direction: "ASC" | "DESC", deals = known) => {
      const ids = [...deals].sort(ascending[key]).map((deal) => deal.id);
      return direction === "ASC" ? ids : ids.reverse();
    };

    /** Every page of a listing, `first` at a time, checking the page info on the way. */
    async function walk(variables: Record<string, unknown>, as: TestUser = list, first = 2): Promise<string[]> {
      const ids: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page++) {
        const result: GraphQLResult = await service.http(LIST, { ...variables, first, after }, { key: as.apiKey });
        const connection = dataOf(result).referralOpportunities;
        expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
        expect(connection.edges.length).toBeLessThanOrEqual(first);
        ids.push(...connection.edges.map((edge: any) => edge.node.id));
        if (connection.edges.length > 0) {
          expect(connection.pageInfo.startCursor).toBe(connection.edges[0].cursor);
          expect(connection.pageInfo.endCursor).toBe(connection.edges[connection.edges.length - 1].cursor);
        }
        if (!connection.pageInfo.hasNextPage) return ids;
        after = connection.pageInfo.endCursor;
      }
      throw new Error("the listing did not end");
    }

    it("lists only visible referral opportunities, newest first by default, with their total", async () => {
      const result = await service.http(LIST, {}, { key: list.apiKey });
      const connection = dataOf(result).referralOpportunities;
      expect(connection.edges.map((edge: any) => edge.node.id)).toEqual(expectedOrder("CREATED_AT", "DESC"));
      expect(connection.totalCount).toBe(known.length);
      expect(connection.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
      const ids = connection.edges.map((edge: any) => edge.node.id);
      expect(ids).not.toContain(hiddenId);
      expect(ids).not.toContain(salesId);

      // Through executeOperation too, as the same viewer.
      const executed = await service.exec(LIST, {}, list.viewer);
      expect(dataOf(executed).referralOpportunities).toEqual(connection);
    });

    it("shows a workspace's deals to its members only, and a GLOBAL deal to everyone in the organization", async () => {
      expect(await walk({})).not.toContain(hiddenId);
      const setVisibility = (mode: string) =>
        service.db.query(`UPDATE pipeline_deal SET visibility_mode = $2 WHERE id = $1`, [hiddenId, mode]);
      await setVisibility("global");
      try {
        expect(await walk({})).toContain(hiddenId);
      } finally {
        await setVisibility("workspace_local");
      }
      expect(await walk({})).not.toContain(hiddenId);
      // Nothing of this organization reaches another one.
      expect(await walk({}, tenant)).toEqual(expect.not.arrayContaining([...known.map((deal) => deal.id), hiddenId]));
    });

    it.each([
      ["CREATED_AT", "ASC"],
      ["CREATED_AT", "DESC"],
      ["NAME", "ASC"],
      ["NAME", "DESC"],
      ["EXPECTED_VALUE", "ASC"],
      ["EXPECTED_VALUE", "DESC"],
    ] as const)("orders by %s %s, ties broken by id, page after page", async (key, direction) => {
      const orderBy = order(`${key}_${direction}`);
      expect(await walk({ orderBy })).toEqual(expectedOrder(key, direction));
      expect(await walk({ orderBy }, list, 1)).toEqual(expectedOrder(key, direction));
      expect(await walk({ orderBy }, list, 100)).toEqual(expectedOrder(key, direction));
    });

    it("filters by stage, seeker, provider, connector and creation range, counting only what matches", async () => {
      const stageId = async (key: string) =>
        (await service.db.query(`SELECT id FROM stage WHERE organization_id = $1 AND pipeline = 'referral' AND key = $2`, [list.organizationId, key]))[0].id;
      const introduced = { id: await stageId("introduced") };
      const lead = { id: await stageId("lead") };
      const moved = known[4];
      await service.db.query(`UPDATE pipeline_deal SET stage_id = $2 WHERE id = $1`, [moved.id, introduced.id]);
      try {
        const { seekers: s, providers: p, connectors: c } = listPeople;
        const cases: Array<[Record<string, unknown>, (deal: Known) => boolean]> = [
          [{ stageId: introduced.id }, (deal) => deal === moved],
          [{ stageId: lead.id }, (deal) => deal !== moved],
          [{ seekerId: s[0].id }, (deal) => deal.seeker === s[0]],
          [{ providerId: p[1].id }, (deal) => deal.provider === p[1]],
          [{ connectorId: c[1].id }, (deal) => deal.connector === c[1]],
          [{ seekerId: s[1].id, connectorId: c[0].id }, (deal) => deal.seeker === s[1] && deal.connector === c[0]],
          // From createdAfter, inclusive, to createdBefore, exclusive.
          [{ createdAfter: "2025-01-03T00:00:00.000Z" }, (deal) => deal.createdAt >= "2025-01-03"],
          [{ createdBefore: "2025-01-03T00:00:00.000Z" }, (deal) => deal.createdAt < "2025-01-03"],
          [
            { createdAfter: "2025-01-02T00:00:00.000Z", createdBefore: "2025-01-04T00:00:00.000Z" },
            (deal) => deal.createdAt >= "2025-01-02" && deal.createdAt < "2025-01-04",
          ],
          [{ seekerId: p[0].id }, () => false],
          [{ createdAfter: "2030-01-01T00:00:00.000Z" }, () => false],
        ];
        for (const [filter, matches] of cases) {
          const expected = expectedOrder("CREATED_AT", "ASC", known.filter(matches));
          expect(await walk({ filter, orderBy: order("CREATED_AT_ASC") })).toEqual(expected);
          const first = await service.http(LIST, { filter, first: 1 }, { key: list.apiKey });
          expect(dataOf(first).referralOpportunities.totalCount).toBe(expected.length);
        }
        // The hidden deal matches its seeker, yet stays hidden.
        expect(await walk({ filter: { seekerId: s[0].id } })).not.toContain(hiddenId);
      } finally {
        await service.db.query(`UPDATE pipeline_deal SET stage_id = $2 WHERE id = $1`, [moved.id, lead.id]);
      }
    });

    it("refuses page sizes outside 1 to 100, malformed filter ids and cursors of another ordering", async () => {
      for (const first of [0, 101]) {
        expect(fieldPaths(await service.http(LIST, { first }, { key: list.apiKey }))).toEqual(["first"]);
      }
      const malformed = await service.http(LIST, { filter: { seekerId: "x", stageId: "y" } }, { key: list.apiKey });
      expect(fieldPaths(malformed)).toEqual(["filter.seekerId", "filter.stageId"]);

      const page = dataOf(await service.http(LIST, { first: 1, orderBy: order("NAME_ASC") }, { key: list.apiKey }));
      const after = page.referralOpportunities.pageInfo.endCursor;
      const crossed = await service.http(LIST, { after, orderBy: order("EXPECTED_VALUE_ASC") }, { key: list.apiKey });
      expect(fieldPaths(crossed)).toEqual(["after"]);
      expect(fieldPaths(await service.http(LIST, { after: "garbage" }, { key: list.apiKey }))).toEqual(["after"]);
    });

    it("keeps cursors stable while deals are added", async () => {
      // Deals of a connector of their own, so the other tests' expectations stay as they are.
      const connector = await createPerson(service.db, list.organizationId);
      const filter = { connectorId: connector.id };
      const { seekers, providers } = listPeople;
      const add = (name: string) =>
        create({ seekerId: seekers[0].id, providerId: providers[0].id, connectorId: connector.id, name }, list);
      const first = [await add("m1"), await add("m2"), await add("m3"), await add("m4")];

      const pageOf = async (orderBy: object, after: string | null = null) => {
        const result = await service.http(LIST, { filter, orderBy, first: 2, after }, { key: list.apiKey });
        return dataOf(result).referralOpportunities;
      };
      const ids = (page: any) => page.edges.map((edge: any) => edge.node.id);

      const oldestFirst = await pageOf(order("CREATED_AT_ASC"));
      const newestFirst = await pageOf(order("CREATED_AT_DESC"));
      const byName = await pageOf(order("NAME_ASC"));
      expect(ids(oldestFirst)).toEqual([first[0].id, first[1].id]);
      expect(ids(newestFirst)).toEqual([first[3].id, first[2].id]);
      expect(ids(byName)).toEqual([first[0].id, first[1].id]);

      // Newer than all, and one name sorting before the cursor and one after it.
      const later = [await add("a0"), await add("z9")];

      const oldestNext = await pageOf(order("CREATED_AT_ASC"), oldestFirst.pageInfo.endCursor);
      expect(ids(oldestNext)).toEqual([first[2].id, first[3].id]);
      expect(ids(await pageOf(order("CREATED_AT_ASC"), oldestNext.pageInfo.endCursor))).toEqual([later[0].id, later[1].id]);
      const newestNext = await pageOf(order("CREATED_AT_DESC"), newestFirst.pageInfo.endCursor);
      expect(ids(newestNext)).toEqual([first[1].id, first[0].id]);
      expect(newestNext.pageInfo.hasNextPage).toBe(false);
      const nameNext = await pageOf(order("NAME_ASC"), byName.pageInfo.endCursor);
      expect(ids(nameNext)).toEqual([first[2].id, first[3].id]);
      expect(ids(await pageOf(order("NAME_ASC"), nameNext.pageInfo.endCursor))).toEqual([later[1].id]);
      expect(nameNext.totalCount).toBe(6);
    });
  });

  describe("statements", () => {
    let counted: TestUser;

    beforeAll(async () => {
      counted = await createTenant(service.db);
      const org = await cast(service, counted.organizationId);
      const { seekers: s, providers: p, connectors: c } = org;
      // 101 deals with every nested field filled: referral sources, connectors of both sides, a product.
      for (let n = 0; n < 101; n++) {
        const input = {
          seekerId: s[n % 2].id,
          providerId: p[(n >> 1) % 2].id,
          connectorId: c[n % 3].id,
          productId: org.product.id,
          expectedValue: n,
        };
        const result = await service.http(CREATE, { input }, { key: counted.apiKey });
        dataOf(result);
      }
    });

    it("lists N deals with every nested field in the same number of statements for N = 1, 10 and 100", async () => {
      const counts: number[] = [];
      for (const first of [1, 10, 100]) {
        const result = await service.http(LIST_EVERYTHING, { first }, { key: counted.apiKey });
        const connection = dataOf(result).referralOpportunities;
        expect(connection.edges).toHaveLength(first);
        expect(connection.totalCount).toBe(101);
        for (const { node } of connection.edges) {
          expect(node.product).not.toBeNull();
          expect(node.facilitators.length).toBeGreaterThan(0);
          expect(node.seeker.company).not.toBeNull();
        }
        counts.push(result.sql);
      }
      // The page with its count, its to-one relations and its facilitators (see read-budgets.test.ts).
      expect(counts).toEqual([1, 1, 1].map(() => AUTH_LOOKUP_STATEMENTS + 1));

      const executed = await service.exec(LIST_EVERYTHING, { first: 100 }, counted.viewer);
      expect(dataOf(executed).referralOpportunities.edges).toHaveLength(100);
      expect(executed.sql).toBe(1);
    });

    it("reads one deal with every nested field without a statement per field", async () => {
      const [{ id }] = await service.db.query(`SELECT id FROM pipeline_deal WHERE organization_id = $1 LIMIT 1`, [
        counted.organizationId,
      ]);
      const result = await service.http(BY_ID, { id }, { key: counted.apiKey });
      expect(dataOf(result).referralOpportunity.id).toBe(id);
      // The deal with its stage, people, workspace, product and facilitators.
      expect(result.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
    });
  });
});
