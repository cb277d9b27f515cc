import http from "node:http";
import net from "node:net";
import { DEFAULT_OPERATION_LIMITS, loadConfig } from "../src/config";
import { createErrorFormatter } from "../src/core/errors/format-error";
import { AuthFailureThrottle } from "../src/core/http/throttle";
import { validate } from "class-validator";
import { Company } from "../src/modules/company/company.entity";
import { CreateOpportunityInput } from "../src/modules/opportunity/opportunity.inputs";
import { createTenant, TestUser } from "./factories";
import { dataOf, errorOf, GraphQLResult, useTestService } from "./support/harness";

const limitOf = (result: GraphQLResult) => {
  expect(result.status).toBe(400);
  const error = errorOf(result);
  expect(error.extensions?.code).toBe("OPERATION_LIMIT_EXCEEDED");
  expect(result.body.data).toBeUndefined();
  return error.extensions!.limit as string;
};

/** A full page of referrals with what a screen shows of each. */
const PAGE =
  "referralOpportunities(first: 100) { edges { node { id name description seeker { id firstName lastName email company { id name } } facilitators { id role user { id firstName lastName } } } } }";

const aliased = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

describe("operation limits", () => {
  const service = useTestService();
  let user: TestUser;

  beforeAll(async () => {
    user = await createTenant(service.db);
    // The API key, once used, is cached: a refused operation then costs no statement at all.
    await service.cacheKey(user.apiKey);
  });

  it("refuses 1,000 aliases of a full page before anything runs", async () => {
    const result = await service.http(aliased(1000, "referralOpportunities(first: 100) { edges { node { id name } } }"), {}, { key: user.apiKey });
    // So many aliases are also too many tokens, which the parser counts first.
    expect(["tokens", "aliases"]).toContain(limitOf(result));
    expect(result.sql).toBe(0); // the API-key check, which comes before parsing, finds the key cached
    const fewer = await service.http(`{ me { ${aliased(DEFAULT_OPERATION_LIMITS.maxAliases + 1, "id").slice(1, -1)} } }`, {}, { key: user.apiKey });
    expect(limitOf(fewer)).toBe("aliases");
    expect(fewer.sql).toBe(0);
  });

  it("refuses an operation nested too deep", async () => {
    // Person.referredBy is a Person: a chain as deep as a caller likes, one level per link.
    const chain = (links: number) => `{ people { edges { node { ${"referredBy { ".repeat(links)}id${" }".repeat(links)} } } } }`;
    const fits = DEFAULT_OPERATION_LIMITS.maxDepth - 3; // people → edges → node → links → id
    expect(dataOf(await service.http(chain(fits - 1), {}, { key: user.apiKey }))).toBeDefined();
    expect(limitOf(await service.http(chain(fits + 1), {}, { key: user.apiKey }))).toBe("depth");
  });

  it("refuses an operation whose lists could return too much (cost: first × selection)", async () => {
    const page = PAGE;
    const result = await service.http(aliased(20, page), {}, { key: user.apiKey });
    expect(limitOf(result)).toBe("cost");
    expect(errorOf(result).extensions?.max).toBe(DEFAULT_OPERATION_LIMITS.maxCost);
    // The same page once is an ordinary request.
    expect(dataOf(await service.http(`{ ${page} }`, {}, { key: user.apiKey }))).toBeDefined();
  });

  it("counts a list's cost from `first` in variables too", async () => {
    const query = `query ($n: Int!) { ${Array.from({ length: 20 }, (_, i) => `a${i}: ${PAGE.replace("first: 100", "first: $n")}`).join(" ")} }`;
    expect(dataOf(await service.http(query, { n: 5 }, { key: user.apiKey }))).toBeDefined();
    expect(limitOf(await service.http(query, { n: 100 }, { key: user.apiKey }))).toBe("cost");
  });

  it("refuses too many root fields and too many tokens", async () => {
    expect(limitOf(await service.http(aliased(DEFAULT_OPERATION_LIMITS.maxRootFields + 1, "me { id }"), {}, { key: user.apiKey }))).toBe("rootFields");
    const tokens = `{ me { id ${"__typename ".repeat(DEFAULT_OPERATION_LIMITS.maxTokens)} } }`;
    const result = await service.http(tokens, {}, { key: user.apiKey });
    expect(limitOf(result)).toBe("tokens");
  });

  it("runs one write per operation unless X-Allow-Batch: true asks for more", async () => {
    const names = [`Batch ${Date.now()} A`, `Batch ${Date.now()} B`];
    const mutation = `mutation { ${names.map((name, i) => `c${i}: createCompany(input: { name: "${name}" }) { data { id } }`).join(" ")} }`;
    const refused = await service.http(mutation, {}, { key: user.apiKey });
    expect(limitOf(refused)).toBe("writes");
    const stored = () => service.db.getRepository(Company).countBy(names.map((name) => ({ organizationId: user.organizationId, name })));
    expect(await stored()).toBe(0);

    const batched = await service.http(mutation, {}, { key: user.apiKey, headers: { "x-allow-batch": "true" } });
    expect(Object.keys(dataOf(batched))).toEqual(["c0", "c1"]);
    expect(await stored()).toBe(2);
  });

  it("writes no row for 500 aliased creates", async () => {
    const name = `Flood ${Date.now()}`;
    const result = await service.http(aliased(500, `createCompany(input: { name: "${name}" }) { data { id } }`).replace("{", "mutation {"), {}, {
      key: user.apiKey,
      headers: { "x-allow-batch": "true" },
    });
    expect(["tokens", "aliases"]).toContain(limitOf(result));
    expect(await service.db.getRepository(Company).countBy({ organizationId: user.organizationId, name })).toBe(0);
  });

  it("keeps answering ordinary queries, in bounded memory, under a flood of oversized operations", async () => {
    const attack = aliased(1000, "referralOpportunities(first: 100) { edges { node { id name seeker { id } } } }");
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const flood = Array.from({ length: 40 }, () => service.http(attack, {}, { key: user.apiKey }));
    const ordinary = await service.http(`{ me { id } }`, {}, { key: user.apiKey });
    expect(dataOf(ordinary).me.id).toBe(user.userId);
    const refused = await Promise.all(flood);
    expect(refused.every((r) => r.status === 400 && r.body.errors?.[0].extensions?.code === "OPERATION_LIMIT_EXCEEDED")).toBe(true);
    // Refused before execution: nothing close to the 1.9 GB such a flood took without limits.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024);
  });

  it("reads each limit from the environment", () => {
    const config = loadConfig({ MAX_QUERY_DEPTH: "4", MAX_QUERY_ALIASES: "2", MAX_ROOT_FIELDS: "3", MAX_QUERY_TOKENS: "100", MAX_QUERY_COST: "7" });
    expect(config.operationLimits).toEqual({ maxDepth: 4, maxAliases: 2, maxRootFields: 3, maxTokens: 100, maxCost: 7, maxWritesUnbatched: 1 });
    expect(() => loadConfig({ MAX_QUERY_COST: "lots" })).toThrow("MAX_QUERY_COST");
  });
});

describe("input hygiene", () => {
  const service = useTestService();
  let user: TestUser;

  beforeAll(async () => {
    user = await createTenant(service.db);
    await service.cacheKey(user.apiKey);
  });

  const fieldsOf = (result: GraphQLResult) => {
    const error = errorOf(result);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    const fields = error.extensions!.fields as Array<{ path: string; message: string; constraint: string }>;
    for (const text of [error.message, ...fields.map((f) => f.message)]) expect(text).not.toMatch(/violates|constraint|relation|column|syntax/i);
    return fields.map(({ path, constraint }) => ({ path, constraint }));
  };

  it("refuses a NUL character in any text, in a variable or written in the query, before SQL", async () => {
    const byVariable = await service.http(`mutation ($input: CreateCompanyInput!) { createCompany(input: $input) { data { id } } }`, { input: { name: "a\u0000" } }, { key: user.apiKey });
    expect(byVariable.status).toBe(400);
    expect(fieldsOf(byVariable)).toEqual([{ path: "input.name", constraint: "noNulCharacter" }]);
    expect(byVariable.sql).toBe(0); // not even the API-key check: the key is cached
    const literal = await service.http(`{ companies(filter: { search: "x\\u0000" }) { totalCount } }`, {}, { key: user.apiKey });
    expect(fieldsOf(literal)).toEqual([{ path: "filter.search", constraint: "noNulCharacter" }]);
  });

  it("refuses a lone surrogate, such as in an email", async () => {
    const result = await service.http(
      `mutation ($input: CreatePersonInput!) { createPerson(input: $input) { data { id } } }`,
      { input: { firstName: "Lone", lastName: "Surrogate", email: "a\ud800@example.com" } },
      { key: user.apiKey },
    );
    expect(fieldsOf(result)).toEqual([{ path: "input.email", constraint: "isWellFormedText" }]);
  });

  it("counts length in code points, as PostgreSQL does", async () => {
    const name = "a\uFE0F".repeat(200); // 400 code points; class-validator's own count said 200
    const result = await service.http(`mutation ($name: String!) { createCompany(input: { name: $name }) { data { id } } }`, { name }, { key: user.apiKey });
    expect(fieldsOf(result)).toEqual([{ path: "input.name", constraint: "maxLength" }]);
    const fits = await service.http(`mutation ($name: String!) { createCompany(input: { name: $name }) { data { name } } }`, { name: "a\uFE0F".repeat(100) }, { key: user.apiKey });
    expect(dataOf(fits).createCompany.data.name).toBe("a\uFE0F".repeat(100));
  });

  it("keeps class-validator's messages for lengths, each item of a list included", async () => {
    const input = Object.assign(new CreateOpportunityInput(), { title: "t".repeat(201), solutionFamilies: ["ok", "a\uFE0F".repeat(101)] });
    const errors = await validate(input, { skipMissingProperties: true, forbidUnknownValues: false });
    const messages = Object.fromEntries(errors.filter((e) => e.constraints?.maxLength).map((e) => [e.property, e.constraints!.maxLength]));
    expect(messages).toEqual({
      title: "title must be shorter than or equal to 200 characters",
      solutionFamilies: "each value in solutionFamilies must be shorter than or equal to 200 characters",
    });
  });

  it("treats filter: null as no filter on every list", async () => {
    const schema = await service.http(`{ __schema { queryType { fields { name args { name type { kind } } type { name kind ofType { name } } } } } }`, {}, { key: user.apiKey });
    type RootField = { name: string; args: Array<{ name: string }>; type: { name: string | null; ofType: { name: string } | null } };
    // The lists: connections with a filter (the pipeline board and column test theirs in pipeline-board.test.ts).
    const isConnection = (f: RootField) => (f.type.name ?? f.type.ofType?.name ?? "").endsWith("Connection");
    const lists = (dataOf(schema).__schema.queryType.fields as RootField[]).filter((f) => f.args.some((a) => a.name === "filter") && isConnection(f));
    expect(lists.map((l) => l.name).sort()).toEqual(expect.arrayContaining(["companies", "opportunities", "people", "referralOpportunities"]));
    for (const list of lists) {
      const literal = await service.http(`{ ${list.name}(filter: null) { totalCount } }`, {}, { key: user.apiKey });
      const unfiltered = await service.http(`{ ${list.name} { totalCount } }`, {}, { key: user.apiKey });
      expect(dataOf(literal)[list.name].totalCount).toBe(dataOf(unfiltered)[list.name].totalCount);
      const variable = await service.http(`query ($f: ${filterType(list.name)}) { ${list.name}(filter: $f) { totalCount } }`, { f: null }, { key: user.apiKey });
      expect(dataOf(variable)[list.name].totalCount).toBe(dataOf(unfiltered)[list.name].totalCount);
    }
  });

  it.each([
    ["a timestamp with month 13", ["createdAt", "2026-13-01 00:00:00+00", "00000000-0000-4000-8000-000000000000"]],
    ["a 140,000-digit number", ["createdAt", "9".repeat(140_000), "00000000-0000-4000-8000-000000000000"]],
    ["a NUL", ["createdAt", "2026-01-01 00:00:00\u0000", "00000000-0000-4000-8000-000000000000"]],
    ["February 30th", ["createdAt", "2026-02-30 10:00:00+00", "00000000-0000-4000-8000-000000000000"]],
    ["a bad id", ["createdAt", "2026-01-01 00:00:00+00", "not-a-uuid"]],
  ])("refuses a cursor it never gave out: %s", async (_case, content) => {
    const after = Buffer.from(JSON.stringify(content)).toString("base64url");
    const result = await service.http(`query ($after: String) { people(after: $after) { totalCount } }`, { after }, { key: user.apiKey });
    expect(fieldsOf(result)).toEqual([{ path: "after", constraint: "isCursor" }]);
  });

  it("accepts ids in any case, X-Workspace-Id included", async () => {
    const upper = await service.http(`query ($id: ID!) { person(id: $id) { id } }`, { id: user.userId.toUpperCase() }, {
      key: user.apiKey,
      workspaceId: user.workspaceId.toUpperCase(),
    });
    expect(dataOf(upper).person.id).toBe(user.userId);
    const literal = await service.http(`{ person(id: "${user.userId.toUpperCase()}") { id } }`, {}, { key: user.apiKey });
    expect(dataOf(literal).person.id).toBe(user.userId);
  });

  it("maps what PostgreSQL still refuses to BAD_USER_INPUT or SERVICE_UNAVAILABLE, without its text", () => {
    const format = createErrorFormatter({ exposeErrors: true });
    const cases: Array<[string, string, string]> = [
      ["22021", 'invalid byte sequence for encoding "UTF8": 0x00', "BAD_USER_INPUT"],
      ["22001", "value too long for type character varying(200)", "BAD_USER_INPUT"],
      ["23514", 'new row for relation "company" violates check constraint "company_name_check"', "BAD_USER_INPUT"],
      ["57014", "canceling statement due to statement timeout", "SERVICE_UNAVAILABLE"],
      ["55P03", "canceling statement due to lock timeout", "SERVICE_UNAVAILABLE"],
      ["57P01", "terminating connection due to administrator command", "SERVICE_UNAVAILABLE"],
    ];
    for (const [code, message, expected] of cases) {
      const out = format({ message, extensions: { code: "INTERNAL_SERVER_ERROR" } }, Object.assign(new Error(message), { code }));
      expect(out.extensions?.code).toBe(expected);
      expect(out.message).not.toContain(message);
    }
    const pool = format({ message: "x", extensions: {} }, new Error("timeout exceeded when trying to connect"));
    expect(pool.extensions).toEqual({ code: "SERVICE_UNAVAILABLE", retryable: true });
  });
});

function filterType(list: string): string {
  return { companies: "CompanyFilter", opportunities: "OpportunityFilter", people: "PersonFilter", referralOpportunities: "ReferralOpportunityFilter", sites: "SiteFilter" }[list] ?? `${list}Filter`;
}

describe("the HTTP front", () => {
  const service = useTestService({ authThrottle: { burst: 3, perMinute: 1 } });
  let user: TestUser;

  beforeAll(async () => {
    user = await createTenant(service.db);
  });

  it("answers a malformed request line with 400, not 500", async () => {
    const { port } = new URL(service.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => socket.write("GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk) => (text += chunk));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).not.toMatch(/at .*\.js|stack/i);
  });

  it("answers 413 to a body larger than the limit", async () => {
    const response = await fetch(service.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${user.apiKey}` },
      body: JSON.stringify({ query: "{ me { id } }", variables: { pad: "x".repeat(20 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).errors[0].extensions).toEqual({ code: "OPERATION_LIMIT_EXCEEDED" });
  });

  it("answers 413 to a large body sent in chunks, without a declared length", async () => {
    const { port } = new URL(service.url);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port: Number(port), path: "/graphql", method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } },
        (response) => {
          response.resume();
          resolve(response.statusCode!);
        },
      );
      request.on("error", reject);
      const chunk = "x".repeat(64 * 1024);
      for (let i = 0; i < 40; i++) request.write(chunk); // 2.5 MiB
      request.end();
    });
    expect(status).toBe(413);
  });

  it("throttles failed keys per address with 429 and Retry-After", async () => {
    const bad = { authorization: "Bearer dg_" + "x".repeat(43) };
    for (let i = 0; i < 3; i++) expect((await service.http(`{ me { id } }`, {}, { headers: bad })).status).toBe(401);
    const response = await fetch(service.url, { method: "POST", headers: { "content-type": "application/json", ...bad }, body: JSON.stringify({ query: "{ me { id } }" }) });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe("TOO_MANY_REQUESTS");
    // The address waits, whatever key it sends next: guessing costs time, not database work.
    expect((await service.http(`{ me { id } }`, {}, { key: user.apiKey })).status).toBe(429);
  });
});

describe("the failed-authentication throttle", () => {
  it("lets an address fail `burst` times, then makes it wait until a failure is forgiven", () => {
    let now = 0;
    const throttle = new AuthFailureThrottle(2, 60, 10_000, () => now); // one failure forgiven a second
    throttle.recordFailure("a");
    expect(throttle.retryAfter("a")).toBe(0);
    throttle.recordFailure("a");
    expect(throttle.retryAfter("a")).toBe(1);
    expect(throttle.retryAfter("b")).toBe(0); // per address
    now += 1000;
    expect(throttle.retryAfter("a")).toBe(0);
  });

  it("remembers a bounded number of addresses", () => {
    const throttle = new AuthFailureThrottle(1, 1, 3, () => 0);
    for (const address of ["a", "b", "c", "d"]) throttle.recordFailure(address);
    // "a", the longest quiet, was forgotten: it may try again; the others wait.
    expect(["a", "b", "c", "d"].map((address) => throttle.retryAfter(address) > 0)).toEqual([false, true, true, true]);
  });
});
