import { DealSearch1764288000000 } from "../src/core/db/migrations/1764288000000-deal-search";
import { createCompany, createPerson, createTenant, TestUser } from "./factories";
import { dataOf, fieldPaths, useTestService } from "./support/harness";

const REFERRALS = `query ($filter: ReferralOpportunityFilter, $first: Int, $after: String) {
  referralOpportunities(first: $first, after: $after, filter: $filter) { totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;
const OPPORTUNITIES = `query ($filter: OpportunityFilter) { opportunities(first: 50, filter: $filter) { edges { node { id title } } } }`;
const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id } } }`;
const UPDATE_REFERRAL = `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) { updateReferralOpportunity(id: $id, input: $input) { data { id } } }`;
const CREATE_OPPORTUNITY = `mutation ($input: CreateOpportunityInput!) { createOpportunity(input: $input) { data { id } } }`;

describe("searching deals", () => {
  const service = useTestService();
  let me: TestUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    me = await createTenant(service.db);
    const cafe = await createCompany(service.db, me.organizationId, "Café Olé");
    const forge = await createCompany(service.db, me.organizationId, "Forge Industries");
    const zoe = await createPerson(service.db, me.organizationId, { firstName: "Zoë", lastName: "Ångström", companyId: cafe.id });
    const bob = await createPerson(service.db, me.organizationId, { firstName: "Bob", lastName: "Baker", companyId: forge.id });
    const eve = await createPerson(service.db, me.organizationId, { firstName: "Eve", lastName: "Evans" });
    ids.zoe = zoe.id;
    ids.bob = bob.id;
    ids.eve = eve.id;
    const referral = async (input: Record<string, unknown>) => dataOf(await service.http(CREATE_REFERRAL, { input }, { key: me.apiKey })).createReferralOpportunity.data.id;
    ids.exact = await referral({ seekerId: bob.id, providerId: eve.id, name: "Boiler" });
    ids.partial = await referral({ seekerId: zoe.id, providerId: bob.id, name: "Boilers and chillers" });
    ids.other = await referral({ seekerId: eve.id, providerId: bob.id, name: "Roof 50% off" });
    ids.customer = dataOf(
      await service.http(CREATE_OPPORTUNITY, { input: { customerId: cafe.id, primaryContactId: eve.id, title: "Espresso line", pipelineType: "OTHER" } }, { key: me.apiKey }),
    ).createOpportunity.data.id;
  });

  const referralsFound = async (search: string) =>
    dataOf(await service.http(REFERRALS, { filter: { search }, first: 50 }, { key: me.apiKey })).referralOpportunities.edges.map((e: any) => e.node.id);

  it("finds a deal by its name, a party's name or an employer's, in any case and with or without accents", async () => {
    expect(await referralsFound("zoe")).toEqual([ids.partial]);
    expect(await referralsFound("ÅNGSTRÖM")).toEqual([ids.partial]);
    expect(await referralsFound("cafe ole")).toEqual([ids.partial]);
    expect((await referralsFound("forge")).sort()).toEqual([ids.exact, ids.partial, ids.other].sort());
    expect(await referralsFound("nothing-like-this")).toEqual([]);
  });

  it("needs every word, and takes LIKE's wildcards literally", async () => {
    expect(await referralsFound("evans roof")).toEqual([ids.other]);
    expect(await referralsFound("evans chillers")).toEqual([]);
    expect(await referralsFound("50%")).toEqual([ids.other]);
    expect(await referralsFound("%")).toEqual([ids.other]);
  });

  it("ranks the best match first without an orderBy, and pages through the ranking", async () => {
    expect(await referralsFound("boiler")).toEqual([ids.exact, ids.partial]);
    const first = dataOf(await service.http(REFERRALS, { filter: { search: "boiler" }, first: 1 }, { key: me.apiKey })).referralOpportunities;
    expect(first).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, edges: [{ node: { id: ids.exact } }] });
    const second = dataOf(await service.http(REFERRALS, { filter: { search: "boiler" }, first: 1, after: first.pageInfo.endCursor }, { key: me.apiKey }))
      .referralOpportunities;
    expect(second.edges.map((e: any) => e.node.id)).toEqual([ids.partial]);
    // A cursor of the ranking is not one of the default order.
    expect(fieldPaths(await service.http(REFERRALS, { first: 1, after: first.pageInfo.endCursor }, { key: me.apiKey }))).toEqual(["after"]);
  });

  it("ranks a whole word above the start of a word, and that above the inside of one, summed over the words", async () => {
    const named = async (name: string, seekerId = ids.zoe) =>
      dataOf(await service.http(CREATE_REFERRAL, { input: { seekerId, providerId: ids.eve, name } }, { key: me.apiKey })).createReferralOpportunity.data.id;
    const inside = await named("Smokiln repair");
    const start = await named("Kilnworks");
    const whole = await named("Kiln");
    expect(await referralsFound("kiln")).toEqual([whole, start, inside]);
    // Ties go by id. With a second word every one of them has whole (the provider, Eve Evans), the
    // scores add up and the order stays.
    const both = await named("Kiln", ids.bob);
    for (const search of ["KILN", "kiln evans"]) {
      const found = await referralsFound(search);
      expect(found.slice(2)).toEqual([start, inside]);
      expect(found.slice(0, 2).sort()).toEqual([both, whole].sort());
    }
  });

  it("finds opportunities by title, customer and primary contact", async () => {
    const found = async (search: string) =>
      dataOf(await service.http(OPPORTUNITIES, { filter: { search } }, { key: me.apiKey })).opportunities.edges.map((e: any) => e.node.id);
    expect(await found("espresso")).toEqual([ids.customer]);
    expect(await found("olé")).toEqual([ids.customer]);
    expect(await found("evans")).toEqual([ids.customer]);
  });

  it("follows the deal when its name or parties change", async () => {
    await service.http(UPDATE_REFERRAL, { id: ids.other, input: { name: "Skylight", seekerId: ids.zoe } }, { key: me.apiKey });
    expect(await referralsFound("skylight zoe")).toEqual([ids.other]);
    expect(await referralsFound("roof")).toEqual([]);
  });

  it("costs no statement more than the list without it, and refuses an overlong search by name", async () => {
    const plain = await service.http(REFERRALS, { first: 5 }, { key: me.apiKey });
    const searched = await service.http(REFERRALS, { filter: { search: "forge" }, first: 5 }, { key: me.apiKey });
    expect(searched.sql).toBe(plain.sql);
    expect(fieldPaths(await service.http(REFERRALS, { filter: { search: "x".repeat(201) } }, { key: me.apiKey }))).toEqual(["filter.search"]);
  });

  it("fills search_text for deals made before the migration", async () => {
    const runner = service.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const migration = new DealSearch1764288000000();
      await migration.down(runner);
      await migration.up(runner);
      const [row] = await runner.query(`SELECT search_text FROM pipeline_deal WHERE id = $1`, [ids.partial]);
      expect(row.search_text).toContain("boilers and chillers");
      expect(row.search_text).toContain("zoe angstrom cafe ole");
      expect(row.search_text).toContain("bob baker forge industries");
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
