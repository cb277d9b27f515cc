import { randomUUID } from "node:crypto";
import { Company } from "../src/modules/company/company.entity";
import { Person, PersonType } from "../src/modules/person/person.entity";
import { Product } from "../src/modules/product/product.entity";
import {
  createCompany,
  createPerson,
  createProduct,
  createTenant,
  createUser,
  createWorkspace,
  TestUser,
} from "./factories";
import { dataOf, errorOf, fieldPaths, GraphQLResult, useTestService } from "./support/harness";

/** Every field of the seed's response, and nothing else. */
const SEED_FIELDS = `
  id pipelineDealId name description expectedValue currency
  stage { id label color description sortOrder }
  owner { id firstName lastName email }
  seeker { type id firstName lastName email name company { id name } }
  provider { type id firstName lastName email name company { id name } }
  connector { id firstName lastName email company { id name } }
  facilitators { id userId companyId role side user { id firstName lastName email } company { id name } }
  createdAt updatedAt`;

/** The seed's fields plus what GraphQL adds: the product, the workspace and the visibility. */
const ALL_FIELDS = `${SEED_FIELDS}
  visibilityMode
  workspace { id name }
  product { id name description company { id name } }
  seeker { referredBy { id } }
  provider { referredBy { id } }`;

const CREATE = `mutation Create($input: CreateReferralOpportunityInput!) {
  createReferralOpportunity(input: $input) { success message data { ${ALL_FIELDS} } }
}`;

const CREATE_SEED_SHAPE = `mutation Create($input: CreateReferralOpportunityInput!) {
  createReferralOpportunity(input: $input) { success message data { ${SEED_FIELDS} } }
}`;

/** The response of seeds/referral-opportunity-create.txt, as the seed prints it. */
const SEED_RESPONSE = {
  success: true,
  data: {
    id: "123e4567-e89b-12d3-a456-426614174000",
    pipelineDealId: "123e4567-e89b-12d3-a456-426614174000",
    name: "Alice Seeker → Bob Provider",
    description: null,
    expectedValue: null,
    currency: "USD",
    stage: {
      id: "123e4567-e89b-12d3-a456-426614174000",
      label: "Lead",
      color: "#3B82F6",
      description: "string",
      sortOrder: 1,
    },
    owner: { id: "123e4567-e89b-12d3-a456-426614174000", firstName: "string", lastName: "string", email: "string" },
    seeker: {
      type: "USER",
      id: "123e4567-e89b-12d3-a456-426614174000",
      firstName: null,
      lastName: null,
      email: null,
      name: null,
      company: { id: "123e4567-e89b-12d3-a456-426614174000", name: "string" },
    },
    provider: {
      type: "USER",
      id: "123e4567-e89b-12d3-a456-426614174000",
      firstName: null,
      lastName: null,
      email: null,
      name: null,
      company: { id: "123e4567-e89b-12d3-a456-426614174000", name: "string" },
    },
    connector: {
      id: "123e4567-e89b-12d3-a456-426614174000",
      firstName: null,
      lastName: null,
      email: null,
      company: { id: "123e4567-e89b-12d3-a456-426614174000", name: "string" },
    },
    facilitators: [
      {
        id: "123e4567-e89b-12d3-a456-426614174000",
        userId: null,
        companyId: null,
        role: "connector",
        side: "seeker",
        user: { id: "123e4567-e89b-12d3-a456-426614174000", firstName: "string", lastName: "string", email: "string" },
        company: { id: "123e4567-e89b-12d3-a456-426614174000", name: "string" },
      },
    ],
    createdAt: "2026-05-20T14:22:03.090Z",
    updatedAt: "2026-05-20T14:22:03.090Z",
  },
  message: "Referral opportunity created successfully",
};

/** The keys of a JSON value, all the way down (arrays by their first element): its shape without the values. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return [shapeOf(value[0])];
  if (value === null || typeof value !== "object") return "value";
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, shapeOf(record[key])]));
}

describe("createReferralOpportunity", () => {
  const service = useTestService();
  let tenant: TestUser;
  let acme: Company;
  let beta: Company;
  let partners: Company;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let product: Product;

  beforeAll(async () => {
    tenant = await createTenant(service.db);
    const org = tenant.organizationId;
    acme = await createCompany(service.db, org, "Acme Inc");
    beta = await createCompany(service.db, org, "Beta Solutions LLC");
    partners = await createCompany(service.db, org, "Introzy Partners");
    alice = await createPerson(service.db, org, {
      type: PersonType.USER,
      firstName: "Alice",
      lastName: "Seeker",
      email: `alice-${randomUUID()}@acme.example`,
      companyId: acme.id,
    });
    bob = await createPerson(service.db, org, {
      type: PersonType.USER,
      firstName: "Bob",
      lastName: "Provider",
      email: `bob-${randomUUID()}@beta.example`,
      companyId: beta.id,
    });
    carol = await createPerson(service.db, org, { firstName: "Carol", lastName: "Connector", companyId: partners.id });
    product = await createProduct(service.db, org, beta.id);
  });

  const create = (input: Record<string, unknown>, options: { key?: string; workspaceId?: string } = {}) =>
    service.http(CREATE, { input }, { key: tenant.apiKey, ...options });

  /** The deal a create that must succeed answers with. */
  const made = async (input: Record<string, unknown>, options: { key?: string; workspaceId?: string } = {}) =>
    dataOf(await create(input, options)).createReferralOpportunity.data;

  /** Rows of the tenant's deals and facilitators: what an error must leave untouched. */
  async function rowCounts() {
    const [{ deals, facilitators }] = await service.db.query(
      `SELECT (SELECT count(*) FROM pipeline_deal WHERE organization_id = $1)::int AS deals,
              (SELECT count(*) FROM pipeline_deal_facilitator WHERE organization_id = $1)::int AS facilitators`,
      [tenant.organizationId],
    );
    return { deals, facilitators };
  }

  /** A failed create: its field paths, after checking it wrote nothing. */
  async function refused(input: Record<string, unknown>): Promise<{ paths: string[]; result: GraphQLResult }> {
    const before = await rowCounts();
    const result = await create(input);
    expect(await rowCounts()).toEqual(before);
    expect(result.body.data).toBeNull();
    return { paths: fieldPaths(result), result };
  }

  async function storedValue(dealId: string): Promise<string | null> {
    const [row] = await service.db.query(`SELECT value::text AS value FROM pipeline_deal WHERE id = $1`, [dealId]);
    return row.value;
  }

  const basics = () => ({ seekerId: alice.id, providerId: bob.id, connectorId: carol.id });

  describe("the seed's contract", () => {
    it("answers the seed's curl body, sent with real ids, in the seed's envelope and shape", async () => {
      const body = {
        seekerId: alice.id,
        providerId: bob.id,
        connectorId: carol.id,
        name: "Acme Inc → Beta Solutions LLC",
        description: "",
        expectedValue: 50000,
        currency: "USD",
        productId: product.id,
      };
      const result = await service.http(CREATE_SEED_SHAPE, { input: body }, { key: tenant.apiKey });
      const answer = dataOf(result).createReferralOpportunity;

      expect(shapeOf(answer)).toEqual(shapeOf(SEED_RESPONSE));
      const deal = answer.data;
      const [lead] = await service.db.query(
        `SELECT id, description FROM stage WHERE organization_id = $1 AND pipeline = 'referral' ORDER BY sort_order LIMIT 1`,
        [tenant.organizationId],
      );
      expect(answer).toMatchObject({ success: true, message: "Referral opportunity created successfully" });
      expect(deal).toEqual({
        id: expect.any(String),
        pipelineDealId: deal.id,
        name: "Acme Inc → Beta Solutions LLC",
        description: null,
        // GraphQL's Decimal is exact, as a string; the REST route answers the seed's JSON number.
        expectedValue: "50000",
        currency: "USD",
        stage: { id: lead.id, label: "Lead", color: "#3B82F6", description: lead.description, sortOrder: 1 },
        owner: { id: tenant.userId, firstName: "Olive", lastName: "Owner", email: expect.stringMatching(/^owner-/) },
        seeker: {
          type: "USER",
          id: alice.id,
          firstName: "Alice",
          lastName: "Seeker",
          email: alice.email,
          name: null,
          company: { id: acme.id, name: "Acme Inc" },
        },
        provider: {
          type: "USER",
          id: bob.id,
          firstName: "Bob",
          lastName: "Provider",
          email: bob.email,
          name: null,
          company: { id: beta.id, name: "Beta Solutions LLC" },
        },
        connector: {
          id: carol.id,
          firstName: "Carol",
          lastName: "Connector",
          email: null,
          company: { id: partners.id, name: "Introzy Partners" },
        },
        facilitators: [
          {
            id: expect.any(String),
            userId: carol.id,
            companyId: partners.id,
            role: "CONNECTOR",
            side: "SEEKER",
            user: { id: carol.id, firstName: "Carol", lastName: "Connector", email: null },
            company: { id: partners.id, name: "Introzy Partners" },
          },
        ],
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updatedAt: deal.createdAt,
      });
    });

    it("creates the deal in 2 statements, the full response costing none", async () => {
      const org = tenant.organizationId;
      const source = await createPerson(service.db, org, { companyId: partners.id });
      const seeker = await createPerson(service.db, org, { companyId: acme.id, referredById: source.id });
      const provider = await createPerson(service.db, org, { companyId: beta.id, referredById: alice.id });
      const result = await create({
        seekerId: seeker.id,
        providerId: provider.id,
        connectorId: carol.id,
        productId: product.id,
        expectedValue: 10,
      });
      const deal = dataOf(result).createReferralOpportunity.data;
      expect(deal.facilitators).toHaveLength(3);
      expect(deal.product.company).toEqual({ id: beta.id, name: "Beta Solutions LLC" });
      expect(deal.provider.referredBy).toEqual({ id: alice.id });
      // The people, the stage, workspace and product; the deal with its facilitators. The API key,
      // used before, is cached.
      expect(result.sql).toBe(2);

      const executed = await service.exec(CREATE, { input: basics() }, tenant.viewer);
      expect(dataOf(executed).createReferralOpportunity.success).toBe(true);
      expect(executed.sql).toBe(2);
    });
  });

  describe("the name", () => {
    it("comes from the two employers when omitted or blank", async () => {
      for (const name of [undefined, null, "", "   "]) {
        const deal = await made({ ...basics(), name });
        expect(deal.name).toBe("Acme Inc → Beta Solutions LLC");
      }
    });

    it("falls back to the display name, else first and last name, of a person without an employer", async () => {
      const org = tenant.organizationId;
      const displayed = await createPerson(service.db, org, { firstName: "Ally", lastName: "Seeker", name: "Ally S." });
      const named = await createPerson(service.db, org, { firstName: "Bob", lastName: "Provider" });
      const first = await made({ seekerId: displayed.id, providerId: bob.id, connectorId: carol.id });
      expect(first.name).toBe("Ally S. → Beta Solutions LLC");
      const second = await made({ seekerId: alice.id, providerId: named.id, connectorId: carol.id });
      expect(second.name).toBe("Acme Inc → Bob Provider");
      const both = await made({ seekerId: displayed.id, providerId: named.id, connectorId: carol.id });
      expect(both.name).toBe("Ally S. → Bob Provider");
    });

    it("cuts an auto-generated name to 200 characters, counting characters as PostgreSQL does", async () => {
      const org = tenant.organizationId;
      const long = await createCompany(service.db, org, "A".repeat(120));
      const emoji = await createCompany(service.db, org, "😀".repeat(120));
      const seeker = await createPerson(service.db, org, { companyId: long.id });
      const provider = await createPerson(service.db, org, { companyId: emoji.id });
      const deal = await made({ seekerId: seeker.id, providerId: provider.id, connectorId: carol.id });
      expect(deal.name).toBe(`${"A".repeat(120)} → ${"😀".repeat(77)}`);
      const [row] = await service.db.query(`SELECT char_length(name) AS length FROM pipeline_deal WHERE id = $1`, [
        deal.id,
      ]);
      expect(row.length).toBe(200);
    });

    it("keeps a supplied name, trimmed, up to 200 characters and refuses a longer one", async () => {
      const trimmed = await made({ ...basics(), name: "  Intro to Beta  " });
      expect(trimmed.name).toBe("Intro to Beta");
      const longest = await made({ ...basics(), name: "n".repeat(200) });
      expect(longest.name).toBe("n".repeat(200));

      const { paths, result } = await refused({ ...basics(), name: "n".repeat(201) });
      expect(paths).toEqual(["input.name"]);
      expect(errorOf(result).extensions!.fields[0]).toEqual({
        path: "input.name",
        message: "name must be shorter than or equal to 200 characters",
        constraint: "maxLength",
      });
    });
  });

  describe("description, value and currency", () => {
    it("keeps a description of up to 1000 characters, a blank one as null, and refuses a longer one", async () => {
      const kept = await made({ ...basics(), description: "d".repeat(1000) });
      expect(kept.description).toBe("d".repeat(1000));
      const blank = await made({ ...basics(), description: "  " });
      expect(blank.description).toBeNull();
      expect((await refused({ ...basics(), description: "d".repeat(1001) })).paths).toEqual(["input.description"]);
    });

    it("stores expectedValue exactly: 50000.10 is 50000.1000, not a float's approximation", async () => {
      const deal = await made({ ...basics(), expectedValue: 50000.1 });
      expect(deal.expectedValue).toBe("50000.1");
      expect(await storedValue(deal.id)).toBe("50000.1000");
      const precise = await made({ ...basics(), expectedValue: 0.0001 });
      expect(await storedValue(precise.id)).toBe("0.0001");
    });

    it("accepts 0 and no value at all", async () => {
      expect((await made({ ...basics(), expectedValue: 0 })).expectedValue).toBe("0");
      const none = await made({ ...basics(), expectedValue: null });
      expect(none.expectedValue).toBeNull();
      expect(await storedValue(none.id)).toBeNull();
      expect((await made(basics())).expectedValue).toBeNull();
    });

    it.each([
      ["a negative amount", -0.01],
      ["more than 4 decimals", 1.23456],
      ["more than numeric(19,4) holds", 1e16],
    ])("refuses %s as expectedValue", async (_case, expectedValue) => {
      const { paths, result } = await refused({ ...basics(), expectedValue });
      expect(paths).toEqual(["input.expectedValue"]);
      expect(errorOf(result).extensions!.fields[0].constraint).toBe("isMoneyAmount");
    });

    it("defaults the currency to USD and stores a code given in any case in upper case", async () => {
      expect((await made(basics())).currency).toBe("USD");
      expect((await made({ ...basics(), currency: "EUR" })).currency).toBe("EUR");
      expect((await made({ ...basics(), currency: "chf" })).currency).toBe("CHF");
    });

    it.each(["XYZ", "US", "USDX", "", " USD"])("refuses the currency %j", async (currency) => {
      const { paths, result } = await refused({ ...basics(), currency });
      expect(paths).toEqual(["input.currency"]);
      expect(errorOf(result).extensions!.fields[0]).toEqual({
        path: "input.currency",
        message: "currency must be an ISO 4217 currency code such as USD",
        constraint: "isISO4217CurrencyCode",
      });
    });
  });

  describe("stage, owner, workspace and visibility", () => {
    it("starts in the REFERRAL pipeline's first stage, owned by the caller, local to their workspace", async () => {
      const deal = await made(basics());
      const [first] = await service.db.query(
        `SELECT id FROM stage WHERE organization_id = $1 AND pipeline = 'referral' ORDER BY sort_order LIMIT 1`,
        [tenant.organizationId],
      );
      expect(deal.stage).toMatchObject({ id: first.id, label: "Lead", color: "#3B82F6", sortOrder: 1 });
      expect(deal.owner.id).toBe(tenant.userId);
      expect(deal.workspace.id).toBe(tenant.workspaceId);
      expect(deal.visibilityMode).toBe("WORKSPACE_LOCAL");
      const [row] = await service.db.query(
        `SELECT kind, stage_id, owner_id, workspace_id, visibility_mode FROM pipeline_deal WHERE id = $1`,
        [deal.id],
      );
      expect(row).toEqual({
        kind: "referral",
        stage_id: first.id,
        owner_id: tenant.userId,
        workspace_id: tenant.workspaceId,
        visibility_mode: "workspace_local",
      });
    });

    it("belongs to the workspace named by X-Workspace-Id, and its owner is whoever calls", async () => {
      const second = await createWorkspace(service.db, tenant.organizationId, "Second");
      const colleague = await createUser(service.db, tenant.organizationId, tenant.workspaceId, [second]);
      const deal = await made(basics(), { key: colleague.apiKey, workspaceId: second });
      expect(deal.workspace).toEqual({ id: second, name: "Second" });
      expect(deal.owner.id).toBe(colleague.userId);
    });
  });

  describe("the parties", () => {
    it("makes the caller the connector when connectorId is omitted", async () => {
      const deal = await made({ seekerId: alice.id, providerId: bob.id });
      expect(deal.connector).toMatchObject({ id: tenant.userId, firstName: "Olive", company: null });
      expect(deal.facilitators).toEqual([
        expect.objectContaining({ userId: tenant.userId, companyId: null, role: "CONNECTOR", side: "SEEKER" }),
      ]);
    });

    it("requires seeker, provider and connector to be three different people", async () => {
      expect((await refused({ seekerId: alice.id, providerId: alice.id, connectorId: carol.id })).paths).toEqual([
        "input.providerId",
      ]);
      expect((await refused({ seekerId: alice.id, providerId: bob.id, connectorId: alice.id })).paths).toEqual([
        "input.connectorId",
      ]);
      expect((await refused({ seekerId: alice.id, providerId: bob.id, connectorId: bob.id })).paths).toEqual([
        "input.connectorId",
      ]);
      // The same id in another case is still the same person.
      const shouted = { seekerId: alice.id.toUpperCase(), providerId: alice.id, connectorId: carol.id };
      expect((await refused(shouted)).paths).toEqual(["input.providerId"]);
    });

    it("refuses the caller as seeker or provider when the caller is the connector by default", async () => {
      const { result } = await refused({ seekerId: tenant.userId, providerId: bob.id });
      expect(errorOf(result).extensions!.fields).toEqual([
        {
          path: "input.connectorId",
          message: "the connector (you, as no connectorId was given) must be a different person from the seeker",
          constraint: "isDistinctPerson",
        },
      ]);
      expect((await refused({ seekerId: alice.id, providerId: tenant.userId })).paths).toEqual(["input.connectorId"]);
    });

    it("accepts ids in upper case", async () => {
      const deal = dataOf(
        await create({
          seekerId: alice.id.toUpperCase(),
          providerId: bob.id.toUpperCase(),
          connectorId: carol.id.toUpperCase(),
          productId: product.id.toUpperCase(),
        }),
      ).createReferralOpportunity.data;
      expect([deal.seeker.id, deal.provider.id, deal.connector.id, deal.product.id]).toEqual([
        alice.id,
        bob.id,
        carol.id,
        product.id,
      ]);
    });

    it("keeps the product, which must belong to the caller's organization", async () => {
      const deal = await made({ ...basics(), productId: product.id });
      expect(deal.product).toEqual({
        id: product.id,
        name: product.name,
        description: null,
        company: { id: beta.id, name: "Beta Solutions LLC" },
      });
      const loose = await createProduct(service.db, tenant.organizationId);
      const withoutCompany = await made({ ...basics(), productId: loose.id });
      expect(withoutCompany.product).toMatchObject({ id: loose.id, company: null });
      expect((await made(basics())).product).toBeNull();
    });

    it("reports unknown ids and another organization's ids as errors of their fields, all at once", async () => {
      const other = await createTenant(service.db);
      const foreignPerson = await createPerson(service.db, other.organizationId);
      const foreignProduct = await createProduct(service.db, other.organizationId);
      const { paths, result } = await refused({
        seekerId: randomUUID(),
        providerId: foreignPerson.id,
        connectorId: other.userId,
        productId: foreignProduct.id,
      });
      expect(paths).toEqual(["input.connectorId", "input.productId", "input.providerId", "input.seekerId"]);
      for (const field of errorOf(result).extensions!.fields) {
        expect(field.constraint).toBe("exists");
        expect(field.message).toMatch(/^no (person|product) with this id exists$/);
      }
      // Another organization's product, on its own, is as unknown as a random id.
      expect((await refused({ ...basics(), productId: randomUUID() })).paths).toEqual(["input.productId"]);
    });

    it("reports malformed ids as malformed, not as unknown", async () => {
      const { result } = await refused({ seekerId: "alice", providerId: "42", connectorId: "x", productId: "p" });
      expect(errorOf(result).extensions!.fields).toEqual(
        ["seekerId", "providerId", "connectorId", "productId"].map((field) => ({
          path: `input.${field}`,
          message: `${field} must be a UUID`,
          constraint: "isUuid",
        })),
      );
    });

    it("lists every problem of the input in one response and writes nothing", async () => {
      const { paths, result } = await refused({
        seekerId: alice.id,
        providerId: alice.id,
        connectorId: randomUUID(),
        name: "n".repeat(201),
        description: "d".repeat(1001),
        expectedValue: -5,
        currency: "ABC",
        productId: "not-a-uuid",
      });
      expect(paths).toEqual([
        "input.connectorId",
        "input.currency",
        "input.description",
        "input.expectedValue",
        "input.name",
        "input.productId",
        "input.providerId",
      ]);
      for (const field of errorOf(result).extensions!.fields) {
        expect(Object.keys(field).sort()).toEqual(["constraint", "message", "path"]);
        expect(field.message.length).toBeGreaterThan(0);
      }
    });

    it("refuses a missing seekerId or providerId before anything runs", async () => {
      const before = await rowCounts();
      const result = await create({ seekerId: alice.id });
      expect(result.status).toBe(400);
      expect(errorOf(result).extensions?.code).toBe("BAD_USER_INPUT");
      expect(await rowCounts()).toEqual(before);
    });
  });

  describe("facilitators", () => {
    async function facilitatorsOf(input: Record<string, unknown>) {
      const deal = await made(input);
      const rows = await service.db.query(
        `SELECT person_id, company_id, role, side FROM pipeline_deal_facilitator
          WHERE deal_id = $1 ORDER BY role, side`,
        [deal.id],
      );
      return { deal, rows };
    }

    it("puts the connector on the seeker's side when they do not work for the provider's company", async () => {
      const { deal, rows } = await facilitatorsOf(basics());
      expect(rows).toEqual([{ person_id: carol.id, company_id: partners.id, role: "connector", side: "seeker" }]);
      expect(deal.facilitators).toEqual([
        expect.objectContaining({ role: "CONNECTOR", side: "SEEKER", userId: carol.id, companyId: partners.id }),
      ]);
    });

    it("puts the connector on the provider's side when employed by the provider's company", async () => {
      const insider = await createPerson(service.db, tenant.organizationId, {
        firstName: "Ian",
        lastName: "Insider",
        companyId: beta.id,
      });
      const { deal } = await facilitatorsOf({ seekerId: alice.id, providerId: bob.id, connectorId: insider.id });
      expect(deal.facilitators).toEqual([
        {
          id: expect.any(String),
          userId: insider.id,
          companyId: beta.id,
          role: "CONNECTOR",
          side: "PROVIDER",
          user: { id: insider.id, firstName: "Ian", lastName: "Insider", email: null },
          company: { id: beta.id, name: "Beta Solutions LLC" },
        },
      ]);
    });

    it("does not count two people without an employer as colleagues", async () => {
      const org = tenant.organizationId;
      const provider = await createPerson(service.db, org);
      const connector = await createPerson(service.db, org);
      const { rows } = await facilitatorsOf({ seekerId: alice.id, providerId: provider.id, connectorId: connector.id });
      expect(rows).toEqual([{ person_id: connector.id, company_id: null, role: "connector", side: "seeker" }]);
    });

    it("adds each party's referral source on that party's side, with the source's employer", async () => {
      const org = tenant.organizationId;
      const seekerSource = await createPerson(service.db, org, { companyId: partners.id });
      const providerSource = await createPerson(service.db, org);
      const seeker = await createPerson(service.db, org, { companyId: acme.id, referredById: seekerSource.id });
      const provider = await createPerson(service.db, org, { companyId: beta.id, referredById: providerSource.id });
      const input = { seekerId: seeker.id, providerId: provider.id, connectorId: carol.id };
      const { deal, rows } = await facilitatorsOf(input);
      expect(rows).toEqual([
        { person_id: carol.id, company_id: partners.id, role: "connector", side: "seeker" },
        { person_id: providerSource.id, company_id: null, role: "referral_source", side: "provider" },
        { person_id: seekerSource.id, company_id: partners.id, role: "referral_source", side: "seeker" },
      ]);
      // Listed connector first, then referral sources, the seeker's side before the provider's.
      const answered = deal.facilitators.map((f: any) => [f.role, f.side, f.userId, f.user.id, f.company?.id ?? null]);
      expect(answered).toEqual([
        ["CONNECTOR", "SEEKER", carol.id, carol.id, partners.id],
        ["REFERRAL_SOURCE", "SEEKER", seekerSource.id, seekerSource.id, partners.id],
        ["REFERRAL_SOURCE", "PROVIDER", providerSource.id, providerSource.id, null],
      ]);
    });

    it("does not add a referral source who is already a party", async () => {
      const org = tenant.organizationId;
      // The connector referred the seeker, and the seeker referred the provider.
      const seeker = await createPerson(service.db, org, { companyId: acme.id, referredById: carol.id });
      const provider = await createPerson(service.db, org, { companyId: beta.id, referredById: seeker.id });
      const { rows } = await facilitatorsOf({ seekerId: seeker.id, providerId: provider.id, connectorId: carol.id });
      expect(rows).toEqual([{ person_id: carol.id, company_id: partners.id, role: "connector", side: "seeker" }]);
    });

    it("never lists a person twice on one side, but once on each side when they referred both parties", async () => {
      const org = tenant.organizationId;
      const source = await createPerson(service.db, org);
      const seeker = await createPerson(service.db, org, { referredById: source.id });
      const provider = await createPerson(service.db, org, { referredById: source.id });
      const { rows } = await facilitatorsOf({ seekerId: seeker.id, providerId: provider.id, connectorId: carol.id });
      expect(rows).toEqual([
        { person_id: carol.id, company_id: partners.id, role: "connector", side: "seeker" },
        { person_id: source.id, company_id: null, role: "referral_source", side: "provider" },
        { person_id: source.id, company_id: null, role: "referral_source", side: "seeker" },
      ]);
    });

    it("keeps the employer a facilitator had when the deal was made", async () => {
      const mover = await createPerson(service.db, tenant.organizationId, { companyId: partners.id });
      const { deal } = await facilitatorsOf({ seekerId: alice.id, providerId: bob.id, connectorId: mover.id });
      await service.db
        .getRepository(Person)
        .update({ organizationId: tenant.organizationId, id: mover.id }, { companyId: acme.id });
      const again = await service.http(
        `query ($id: ID!) {
           referralOpportunity(id: $id) { connector { company { id } } facilitators { companyId company { id } } }
         }`,
        { id: deal.id },
        { key: tenant.apiKey },
      );
      expect(dataOf(again).referralOpportunity).toEqual({
        connector: { company: { id: acme.id } },
        facilitators: [{ companyId: partners.id, company: { id: partners.id } }],
      });
    });
  });

  describe("atomicity", () => {
    it("commits the deal and its facilitators together or not at all", async () => {
      const doomed = await createPerson(service.db, tenant.organizationId);
      // A real failure of the second INSERT: the database itself refuses this facilitator row.
      await service.db.query(`
        CREATE FUNCTION refuse_facilitator() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'facilitator refused'; END $$`);
      await service.db.query(`
        CREATE TRIGGER refuse_facilitator BEFORE INSERT ON pipeline_deal_facilitator
        FOR EACH ROW WHEN (NEW.person_id = '${doomed.id}') EXECUTE FUNCTION refuse_facilitator()`);
      const quiet = jest.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        const before = await rowCounts();
        const result = await create({ seekerId: alice.id, providerId: bob.id, connectorId: doomed.id });
        expect(errorOf(result)).toMatchObject({
          message: "Internal server error",
          path: ["createReferralOpportunity"],
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        });
        expect(await rowCounts()).toEqual(before);
      } finally {
        quiet.mockRestore();
        await service.db.query(`DROP TRIGGER refuse_facilitator ON pipeline_deal_facilitator`);
        await service.db.query(`DROP FUNCTION refuse_facilitator()`);
      }
      // The same request succeeds once the database accepts the row.
      const retried = await made({ seekerId: alice.id, providerId: bob.id, connectorId: doomed.id });
      expect(retried.facilitators).toEqual([expect.objectContaining({ userId: doomed.id, role: "CONNECTOR" })]);
    });
  });
});
