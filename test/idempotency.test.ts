import { Facilitator } from "../src/modules/deal/facilitator.entity";
import { PipelineDeal } from "../src/modules/deal/pipeline-deal.entity";
import { createCompany, createPerson, createTenant, createUser, createWorkspace, TestUser } from "./factories";
import { dataOf, errorOf, fieldPaths, useTestService } from "./support/harness";

const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) {
  createReferralOpportunity(input: $input) { success message data { id name facilitators { id } } }
}`;
const CREATE_OPPORTUNITY = `mutation ($input: CreateOpportunityInput!) {
  createOpportunity(input: $input) { success message data { id title } }
}`;

/** Partners retry requests that failed on the network: a keyed create is made once. */
describe("idempotency keys on creates", () => {
  const service = useTestService();
  let me: TestUser;
  let referral: { seekerId: string; providerId: string };
  let customerId: string;

  beforeAll(async () => {
    me = await createTenant(service.db);
    const [acme, beta] = await Promise.all([createCompany(service.db, me.organizationId, "Acme Inc"), createCompany(service.db, me.organizationId, "Beta")]);
    const source = await createPerson(service.db, me.organizationId);
    const seeker = await createPerson(service.db, me.organizationId, { companyId: acme.id, referredById: source.id });
    const provider = await createPerson(service.db, me.organizationId, { companyId: beta.id });
    referral = { seekerId: seeker.id, providerId: provider.id };
    customerId = acme.id;
  });

  const dealsWithKey = (organizationId: string, idempotencyKey: string) =>
    service.db.getRepository(PipelineDeal).countBy({ organizationId, idempotencyKey });

  it("answers a retried referral with the deal the first request made, and writes it once", async () => {
    const input = { ...referral, idempotencyKey: "partner-42/attempt" };
    const first = dataOf(await service.http(CREATE_REFERRAL, { input }, { key: me.apiKey })).createReferralOpportunity;
    const retry = await service.http(CREATE_REFERRAL, { input }, { key: me.apiKey });
    expect(dataOf(retry).createReferralOpportunity).toEqual(first);
    expect(first).toMatchObject({ success: true, message: "Referral opportunity created successfully" });
    expect(await dealsWithKey(me.organizationId, input.idempotencyKey)).toBe(1);
    expect(await service.db.getRepository(Facilitator).countBy({ dealId: first.data.id })).toBe(first.data.facilitators.length);
  });

  it("answers a retried opportunity with the opportunity the first request made", async () => {
    const input = { customerId, title: "Chiller retrofit", pipelineType: "RETROFIT", idempotencyKey: "opp-1" };
    const first = dataOf(await service.http(CREATE_OPPORTUNITY, { input }, { key: me.apiKey })).createOpportunity;
    const retry = dataOf(await service.http(CREATE_OPPORTUNITY, { input }, { key: me.apiKey })).createOpportunity;
    expect(retry).toEqual(first);
    expect(await dealsWithKey(me.organizationId, "opp-1")).toBe(1);
  });

  it("makes one deal when two requests with the same key arrive together", async () => {
    const input = { ...referral, idempotencyKey: "racing" };
    const [a, b] = await Promise.all([
      service.http(CREATE_REFERRAL, { input }, { key: me.apiKey }),
      service.http(CREATE_REFERRAL, { input }, { key: me.apiKey }),
    ]);
    expect(dataOf(a).createReferralOpportunity.data.id).toBe(dataOf(b).createReferralOpportunity.data.id);
    expect(await dealsWithKey(me.organizationId, "racing")).toBe(1);
  });

  it("makes a new deal for each new key, and for no key at all", async () => {
    const ids = new Set<string>();
    for (const idempotencyKey of ["k1", "k2", null, null]) {
      ids.add(dataOf(await service.http(CREATE_REFERRAL, { input: { ...referral, idempotencyKey } }, { key: me.apiKey })).createReferralOpportunity.data.id);
    }
    expect(ids.size).toBe(4);
  });

  it("is CONFLICT when the key made another kind of deal, or a deal the caller cannot see", async () => {
    await service.http(CREATE_REFERRAL, { input: { ...referral, idempotencyKey: "shared-key" } }, { key: me.apiKey });
    const otherKind = await service.http(CREATE_OPPORTUNITY, { input: { customerId, title: "T", pipelineType: "OTHER", idempotencyKey: "shared-key" } }, { key: me.apiKey });
    expect(errorOf(otherKind).extensions?.code).toBe("CONFLICT");

    // A colleague in another workspace cannot see the first deal: their key is someone else's.
    const colleague = await createUser(service.db, me.organizationId, await createWorkspace(service.db, me.organizationId));
    const theirs = await service.http(CREATE_REFERRAL, { input: { ...referral, idempotencyKey: "shared-key" } }, { key: colleague.apiKey });
    expect(errorOf(theirs).extensions?.code).toBe("CONFLICT");
    expect(await dealsWithKey(me.organizationId, "shared-key")).toBe(1);
  });

  it("keeps keys apart between organizations", async () => {
    const other = await createTenant(service.db);
    const [a, b] = [await createPerson(service.db, other.organizationId), await createPerson(service.db, other.organizationId)];
    await service.http(CREATE_REFERRAL, { input: { ...referral, idempotencyKey: "same-everywhere" } }, { key: me.apiKey });
    const theirs = await service.http(CREATE_REFERRAL, { input: { seekerId: a.id, providerId: b.id, idempotencyKey: "same-everywhere" } }, { key: other.apiKey });
    expect(dataOf(theirs).createReferralOpportunity.success).toBe(true);
    expect(await dealsWithKey(other.organizationId, "same-everywhere")).toBe(1);
  });

  it("refuses a blank or overlong key, naming the field", async () => {
    for (const idempotencyKey of ["  ", "k".repeat(201)]) {
      expect(fieldPaths(await service.http(CREATE_REFERRAL, { input: { ...referral, idempotencyKey } }, { key: me.apiKey }))).toEqual(["input.idempotencyKey"]);
      expect(fieldPaths(await service.http(CREATE_OPPORTUNITY, { input: { customerId, title: "T", pipelineType: "OTHER", idempotencyKey } }, { key: me.apiKey }))).toEqual(["input.idempotencyKey"]);
    }
  });

  it("keeps a first keyed create within the statement budget", async () => {
    dataOf(await service.http(`{ me { id } }`, {}, { key: me.apiKey })); // the API key, now cached
    const result = await service.http(CREATE_REFERRAL, { input: { ...referral, idempotencyKey: "budget" } }, { key: me.apiKey });
    expect(dataOf(result).createReferralOpportunity.success).toBe(true);
    // The people, stage, workspace and product; the deal with its key, facilitators and events (the
    // API key, used before, is cached).
    expect(result.sql).toBe(2);
  });

  it("refuses the same key with a different request, naming idempotencyKey, and writes nothing", async () => {
    const input = { ...referral, idempotencyKey: "fingerprinted" };
    const first = dataOf(await service.http(CREATE_REFERRAL, { input }, { key: me.apiKey })).createReferralOpportunity;
    const other = await service.http(CREATE_REFERRAL, { input: { ...input, name: "Another deal" } }, { key: me.apiKey });
    expect(fieldPaths(other)).toEqual(["input.idempotencyKey"]);
    expect(errorOf(other).extensions!.fields[0].constraint).toBe("isSameRequest");
    expect(await dealsWithKey(me.organizationId, "fingerprinted")).toBe(1);
    // The same request again is still a replay, whatever the order of its fields.
    const reordered = { idempotencyKey: "fingerprinted", providerId: referral.providerId, seekerId: referral.seekerId };
    expect(dataOf(await service.http(CREATE_REFERRAL, { input: reordered }, { key: me.apiKey })).createReferralOpportunity.data.id).toBe(first.data.id);
    const opportunity = { customerId, title: "Fingerprinted", pipelineType: "OTHER", idempotencyKey: "fingerprinted-opportunity" };
    dataOf(await service.http(CREATE_OPPORTUNITY, { input: opportunity }, { key: me.apiKey }));
    expect(fieldPaths(await service.http(CREATE_OPPORTUNITY, { input: { ...opportunity, stage: "QUALIFIED" } }, { key: me.apiKey }))).toEqual([
      "input.idempotencyKey",
    ]);
  });

  it("lets an expired key make a new deal", async () => {
    const input = { ...referral, idempotencyKey: "expires" };
    const first = dataOf(await service.http(CREATE_REFERRAL, { input }, { key: me.apiKey })).createReferralOpportunity.data;
    await service.db.query(`UPDATE pipeline_deal SET created_at = now() - interval '25 hours' WHERE id = $1`, [first.id]);
    const second = dataOf(await service.http(CREATE_REFERRAL, { input }, { key: me.apiKey })).createReferralOpportunity.data;
    expect(second.id).not.toBe(first.id);
    expect(await dealsWithKey(me.organizationId, "expires")).toBe(1);
    const [old] = await service.db.query(`SELECT idempotency_key FROM pipeline_deal WHERE id = $1`, [first.id]);
    expect(old.idempotency_key).toBeNull();
  });
});
