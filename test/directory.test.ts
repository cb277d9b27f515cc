import { Company } from "../src/modules/company/company.entity";
import { Person, PersonType } from "../src/modules/person/person.entity";
import { createCompany, createPerson, createTenant, TestUser } from "./factories";
import { dataOf, errorOf, fieldPaths, useTestService } from "./support/harness";
import { AUTH_LOOKUP_STATEMENTS } from "./support/statements";

const CREATE_COMPANY = `mutation ($input: CreateCompanyInput!) { createCompany(input: $input) { success message data { id name domain } } }`;
const CREATE_PERSON = `mutation ($input: CreatePersonInput!) {
  createPerson(input: $input) { success message data { id type firstName lastName name email company { id name } referredBy { id firstName } } }
}`;
const CREATE_PRODUCT = `mutation ($input: CreateProductInput!) { createProduct(input: $input) { success message data { id name description company { id name } } } }`;
const CREATE_SITE = `mutation ($input: CreateSiteInput!) { createSite(input: $input) { success message data { id name address company { id name } } } }`;
const PEOPLE = `query ($first: Int, $after: String, $filter: PersonFilter) {
  people(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id firstName lastName company { id name } referredBy { id firstName company { id name } } } }
  }
}`;

describe("the directory: companies, people, products, sites, stages", () => {
  const service = useTestService();
  let owner: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    owner = await createTenant(service.db);
    other = await createTenant(service.db);
  });

  const as = (user: TestUser) => ({ key: user.apiKey });
  const count = (entity: typeof Company | typeof Person, organizationId: string) =>
    service.db.getRepository(entity).countBy({ organizationId });

  describe("createCompany", () => {
    it("creates a company and answers with the envelope", async () => {
      const result = await service.http(CREATE_COMPANY, { input: { name: "  Acme Inc ", domain: "Acme.Example" } }, as(owner));
      expect(dataOf(result).createCompany).toEqual({
        success: true,
        message: "Company created successfully",
        data: { id: expect.any(String), name: "Acme Inc", domain: "acme.example" },
      });
    });

    it("lists every bad field at once and writes nothing", async () => {
      const before = await count(Company, owner.organizationId);
      const result = await service.http(CREATE_COMPANY, { input: { name: "   ", domain: "not a domain" } }, as(owner));
      expect(fieldPaths(result)).toEqual(["input.domain", "input.name"]);
      const fields = errorOf(result).extensions!.fields;
      expect(fields).toContainEqual({ path: "input.name", message: "name must not be blank", constraint: "isNotBlank" });
      expect(fields[0]).not.toHaveProperty("target");
      expect(fields[0]).not.toHaveProperty("value");
      expect(await count(Company, owner.organizationId)).toBe(before);
    });
  });

  describe("createPerson", () => {
    it("creates a contact with an employer and a referral source", async () => {
      const employer = await createCompany(service.db, owner.organizationId, "Beta Solutions LLC");
      const source = await createPerson(service.db, owner.organizationId, { firstName: "Rita" });
      const result = await service.http(
        CREATE_PERSON,
        { input: { firstName: "Bob", lastName: "Provider", email: "Bob@Beta.example", companyId: employer.id, referredById: source.id } },
        as(owner),
      );
      expect(dataOf(result).createPerson).toEqual({
        success: true,
        message: "Person created successfully",
        data: {
          id: expect.any(String),
          type: "CONTACT",
          firstName: "Bob",
          lastName: "Provider",
          name: null,
          email: "bob@beta.example",
          company: { id: employer.id, name: "Beta Solutions LLC" },
          referredBy: { id: source.id, firstName: "Rita" },
        },
      });
    });

    it("reports shape problems and unknown references together, and writes nothing", async () => {
      const foreignCompany = await createCompany(service.db, other.organizationId);
      const foreignPerson = await createPerson(service.db, other.organizationId);
      const before = await count(Person, owner.organizationId);
      const result = await service.http(
        CREATE_PERSON,
        { input: { email: "nope", companyId: foreignCompany.id, referredById: foreignPerson.id } },
        as(owner),
      );
      expect(fieldPaths(result)).toEqual(["input.companyId", "input.email", "input.name", "input.referredById"]);
      expect(await count(Person, owner.organizationId)).toBe(before);
    });

    it("refuses malformed ids as field errors", async () => {
      const result = await service.http(CREATE_PERSON, { input: { name: "X", companyId: "42", referredById: "x" } }, as(owner));
      expect(fieldPaths(result)).toEqual(["input.companyId", "input.referredById"]);
    });

    it("requires an email for a USER and keeps USER emails unique", async () => {
      expect(fieldPaths(await service.http(CREATE_PERSON, { input: { type: "USER", name: "No Mail" } }, as(owner)))).toEqual(["input.email"]);
      const first = await service.http(CREATE_PERSON, { input: { type: "USER", name: "Uno", email: "same@example.com" } }, as(owner));
      expect(dataOf(first).createPerson.data.type).toBe("USER");
      const second = await service.http(CREATE_PERSON, { input: { type: "USER", name: "Dos", email: "SAME@example.com" } }, as(owner));
      expect(errorOf(second).extensions?.code).toBe("CONFLICT");
      // Two requests racing for one email: the unique index lets one through, the other is CONFLICT.
      const racing = await Promise.all(
        ["Ana", "Bea"].map((name) => service.http(CREATE_PERSON, { input: { type: "USER", name, email: "race@example.com" } }, as(owner))),
      );
      const codes = racing.map((r) => (r.body.errors ? r.body.errors[0].extensions?.code : "OK")).sort();
      expect(codes).toEqual(["CONFLICT", "OK"]);
      // The same email is fine in another organization.
      expect(dataOf(await service.http(CREATE_PERSON, { input: { type: "USER", name: "Tres", email: "same@example.com" } }, as(other))).createPerson.success).toBe(true);
    });
  });

  describe("createProduct and createSite", () => {
    it("creates a product of a company", async () => {
      const provider = await createCompany(service.db, owner.organizationId, "Provider Co");
      const result = await service.http(CREATE_PRODUCT, { input: { name: "Automation", description: "BMS", companyId: provider.id } }, as(owner));
      expect(dataOf(result).createProduct).toMatchObject({
        success: true,
        message: "Product created successfully",
        data: { name: "Automation", description: "BMS", company: { id: provider.id, name: "Provider Co" } },
      });
      const productId = dataOf(result).createProduct.data.id;
      expect(dataOf(await service.http(`query ($id: ID!) { product(id: $id) { id } }`, { id: productId }, as(owner))).product.id).toBe(productId);
      expect(errorOf(await service.http(`query ($id: ID!) { product(id: $id) { id } }`, { id: productId }, as(other))).extensions?.code).toBe("NOT_FOUND");
    });

    it("refuses a product of an unknown company", async () => {
      const result = await service.http(CREATE_PRODUCT, { input: { name: "P", companyId: (await createCompany(service.db, other.organizationId)).id } }, as(owner));
      expect(fieldPaths(result)).toEqual(["input.companyId"]);
    });

    it("creates a site, which always belongs to a company", async () => {
      const customer = await createCompany(service.db, owner.organizationId, "Customer Co");
      const result = await service.http(CREATE_SITE, { input: { companyId: customer.id, name: "HQ", address: "1 Main St" } }, as(owner));
      expect(dataOf(result).createSite).toMatchObject({
        success: true,
        message: "Site created successfully",
        data: { name: "HQ", address: "1 Main St", company: { id: customer.id, name: "Customer Co" } },
      });
      const missing = await service.http(CREATE_SITE, { input: { name: "Nowhere" } }, as(owner));
      expect(missing.status).toBe(400);
      expect(errorOf(missing).extensions?.code).toBe("BAD_USER_INPUT");
      const foreign = await service.http(CREATE_SITE, { input: { companyId: (await createCompany(service.db, other.organizationId)).id, name: "X" } }, as(owner));
      expect(fieldPaths(foreign)).toEqual(["input.companyId"]);
    });
  });

  describe("reads", () => {
    it("reads a person and a company by id, and another organization's as not found", async () => {
      const company = await createCompany(service.db, owner.organizationId, "Readable");
      const person = await createPerson(service.db, owner.organizationId, { firstName: "Reed", companyId: company.id });
      const query = `query ($p: ID!, $c: ID!) { person(id: $p) { id firstName company { name } } company(id: $c) { id name } }`;
      expect(dataOf(await service.http(query, { p: person.id, c: company.id }, as(owner)))).toEqual({
        person: { id: person.id, firstName: "Reed", company: { name: "Readable" } },
        company: { id: company.id, name: "Readable" },
      });
      const shouted = await service.http(`query ($id: ID!) { person(id: $id) { id } }`, { id: person.id.toUpperCase() }, as(owner));
      expect(dataOf(shouted).person.id).toBe(person.id);
      for (const id of [person.id, "not-a-uuid"]) {
        const result = await service.http(`query ($id: ID!) { person(id: $id) { id } }`, { id }, as(other));
        expect(errorOf(result)).toMatchObject({ message: `Person ${id} was not found.`, extensions: { code: "NOT_FOUND" } });
      }
      expect(errorOf(await service.http(`query ($id: ID!) { company(id: $id) { id } }`, { id: company.id }, as(other))).extensions?.code).toBe("NOT_FOUND");
    });

    it("lists the stages of each pipeline in order", async () => {
      const result = dataOf(await service.http(`{ referral: stages(pipeline: REFERRAL) { id key label color sortOrder probability isWon isLost pipeline }
        sales: stages(pipeline: SALES) { key sortOrder isWon isLost } }`, {}, as(owner)));
      expect(result.referral[0]).toMatchObject({ key: "lead", label: "Lead", color: "#3B82F6", sortOrder: 1, pipeline: "REFERRAL" });
      expect(result.sales.map((s: { key: string }) => s.key)).toEqual(["lead", "qualified", "survey", "proposal", "negotiation", "won", "lost"]);
      expect(result.sales.find((s: { key: string }) => s.key === "won")).toMatchObject({ isWon: true, isLost: false });
      expect(result.sales.find((s: { key: string }) => s.key === "lost")).toMatchObject({ isWon: false, isLost: true });
    });

    it("searches companies by name in any case, with LIKE wildcards taken literally", async () => {
      const tenant = await createTenant(service.db);
      for (const name of ["Zeta 50% Off", "zeta corp", "Omega"]) await createCompany(service.db, tenant.organizationId, name);
      const search = async (text: string) =>
        dataOf(await service.http(`query ($f: CompanyFilter) { companies(filter: $f) { totalCount edges { node { name } } } }`, { f: { search: text } }, as(tenant)))
          .companies;
      expect((await search("ZETA")).edges.map((e: any) => e.node.name)).toEqual(["Zeta 50% Off", "zeta corp"]);
      expect((await search("50%")).totalCount).toBe(1);
      expect((await search("%")).totalCount).toBe(1);
    });

    it("filters people by company, type and name", async () => {
      const tenant = await createTenant(service.db);
      const acme = await createCompany(service.db, tenant.organizationId, "Acme");
      await createPerson(service.db, tenant.organizationId, { firstName: "Alice", lastName: "Seeker", companyId: acme.id });
      await createPerson(service.db, tenant.organizationId, { firstName: "Bob", lastName: "Other" });
      const people = async (filter: object) =>
        dataOf(await service.http(PEOPLE, { filter }, as(tenant))).people.edges.map((e: any) => e.node.firstName);
      expect(await people({ companyId: acme.id })).toEqual(["Alice"]);
      expect(await people({ type: PersonType.USER })).toEqual(["Olive"]);
      expect(await people({ search: "seek" })).toEqual(["Alice"]);
      expect(await people({})).toEqual(["Olive", "Alice", "Bob"]);
      expect(fieldPaths(await service.http(PEOPLE, { filter: { companyId: "acme" } }, as(tenant)))).toEqual(["filter.companyId"]);
    });
  });

  describe("pagination", () => {
    let tenant: TestUser;
    beforeAll(async () => {
      tenant = await createTenant(service.db);
      for (let i = 0; i < 11; i++) await createPerson(service.db, tenant.organizationId, { firstName: `P${i}` });
    });

    it("walks every item exactly once with stable cursors, even as items are added", async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { people }: { people: any } = dataOf(await service.http(PEOPLE, { first: 5, after }, as(tenant)));
        expect(people.totalCount).toBe(12 + pages);
        expect(people.pageInfo.hasPreviousPage).toBe(after !== null);
        seen.push(...people.edges.map((e: any) => e.node.firstName));
        expect(people.pageInfo.endCursor).toBe(people.edges.at(-1)?.cursor ?? null);
        // A person added mid-walk comes after the cursor, at the end.
        await createPerson(service.db, tenant.organizationId, { firstName: `New${pages}` });
        pages++;
        if (!people.pageInfo.hasNextPage) break;
        after = people.pageInfo.endCursor;
      }
      expect(seen.slice(0, 12)).toEqual(["Olive", ...Array.from({ length: 11 }, (_, i) => `P${i}`)]);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it("allows at most 100 items a page, and at least 1", async () => {
      expect(fieldPaths(await service.http(PEOPLE, { first: 101 }, as(tenant)))).toEqual(["first"]);
      expect(fieldPaths(await service.http(PEOPLE, { first: 0 }, as(tenant)))).toEqual(["first"]);
      expect(dataOf(await service.http(PEOPLE, { first: 100 }, as(tenant))).people.edges.length).toBeGreaterThan(11);
    });

    it("refuses cursors it did not give out, and those of another list", async () => {
      expect(fieldPaths(await service.http(PEOPLE, { after: "garbage" }, as(tenant)))).toEqual(["after"]);
      const { companies } = dataOf(await service.http(`{ companies(first: 1) { edges { cursor } } }`, {}, as(owner)));
      expect(fieldPaths(await service.http(PEOPLE, { after: companies.edges[0].cursor }, as(tenant)))).toEqual(["after"]);
    });

    it("never lists another organization's people", async () => {
      const { people } = dataOf(await service.http(PEOPLE, { first: 100 }, as(other)));
      const ids = new Set(people.edges.map((e: any) => e.node.id));
      const mine = await service.db.getRepository(Person).findBy({ organizationId: tenant.organizationId });
      expect(mine.some((p) => ids.has(p.id))).toBe(false);
    });
  });

  describe("batching", () => {
    it("lists people with their companies and referral sources in a constant number of statements", async () => {
      const tenant = await createTenant(service.db);
      const companies = await Promise.all(Array.from({ length: 10 }, () => createCompany(service.db, tenant.organizationId)));
      const sources: Person[] = [];
      for (let i = 0; i < 60; i++) {
        const referredBy = i % 3 === 0 && sources.length > 0 ? sources[sources.length - 1].id : null;
        sources.push(await createPerson(service.db, tenant.organizationId, { companyId: companies[i % 10].id, referredById: referredBy }));
      }
      dataOf(await service.http(`{ me { id } }`, {}, as(tenant))); // the key, now cached
      const five = await service.http(PEOPLE, { first: 5 }, as(tenant));
      const fifty = await service.http(PEOPLE, { first: 50 }, as(tenant));
      expect(dataOf(fifty).people.edges).toHaveLength(50);
      expect(dataOf(fifty).people.edges.filter((e: any) => e.node.referredBy?.company).length).toBeGreaterThan(10);
      // The page with its totalCount, employers, and referral sources with their employers.
      expect(fifty.sql).toBe(AUTH_LOOKUP_STATEMENTS + 1);
      expect(five.sql).toBe(fifty.sql);

      const viaExecute = await service.exec(PEOPLE, { first: 50 }, tenant.viewer);
      expect(dataOf(viaExecute).people.edges).toHaveLength(50);
      expect(viaExecute.sql).toBe(1);
    });
  });

  describe("sites and missing ids", () => {
    it("lists sites by name, of one company or all, and a company lists its own", async () => {
      const [north, south] = [await createCompany(service.db, owner.organizationId, "North"), await createCompany(service.db, owner.organizationId, "South")];
      for (const [companyId, name] of [[north.id, "b Yard"], [north.id, "A Plant"], [south.id, "Depot"]]) {
        dataOf(await service.http(CREATE_SITE, { input: { companyId, name } }, as(owner)));
      }
      const list = await service.http(
        `query ($filter: SiteFilter) { sites(first: 10, filter: $filter) { totalCount edges { node { id name company { id } } } } }`,
        { filter: { companyId: north.id.toUpperCase() } },
        as(owner),
      );
      expect(dataOf(list).sites.edges.map((e: any) => e.node.name)).toEqual(["A Plant", "b Yard"]);
      expect(dataOf(list).sites.totalCount).toBe(2);
      const theirs = await service.http(`{ sites(first: 10, filter: null) { totalCount } }`, {}, as(other));
      expect(dataOf(theirs).sites.totalCount).toBe(0);
      const companies = await service.http(
        `query ($filter: CompanyFilter) { companies(first: 10, filter: $filter) { edges { node { name sites { name } } } } }`,
        { filter: { search: "th" } },
        as(owner),
      );
      expect(dataOf(companies).companies.edges.map((e: any) => e.node)).toEqual([
        { name: "North", sites: [{ name: "A Plant" }, { name: "b Yard" }] },
        { name: "South", sites: [{ name: "Depot" }] },
      ]);
      // The page, and the sites of every company of the page in one statement (the key, used above, is cached).
      expect(companies.sql).toBe(2);
    });

    it("answers a missing id with null and NOT_FOUND, and its siblings still answer", async () => {
      const company = await createCompany(service.db, owner.organizationId, "Present");
      const missing = "00000000-0000-4000-8000-000000000000";
      const result = await service.http(
        `query ($here: ID!, $gone: ID!) { here: company(id: $here) { id name } gone: company(id: $gone) { id } deal: pipelineDeal(id: $gone) { id } }`,
        { here: company.id, gone: missing },
        as(owner),
      );
      expect(result.body.data).toEqual({ here: { id: company.id, name: "Present" }, gone: null, deal: null });
      // One error per missing id; their order follows the resolvers' timing, not the query's.
      expect(result.body.errors!.map((e) => [e.path, e.extensions!.code]).sort()).toEqual([
        [["deal"], "NOT_FOUND"],
        [["gone"], "NOT_FOUND"],
      ]);
    });
  });
});
