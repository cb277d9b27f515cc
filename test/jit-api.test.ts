import { ApolloServer } from "@apollo/server";
import { getIntrospectionQuery, getOperationAST, parse } from "graphql";
import { workloads } from "../bench/workloads";
import { createApolloServer, jitExecutorOf } from "../src/app";
import { DEFAULT_OPERATION_LIMITS } from "../src/config";
import { Context, createContext } from "../src/core/context/context";
import { FallbackReason, JitExecutor } from "../src/core/graphql/jit-executor";
import { Pipeline } from "../src/modules/stage/stage.entity";
import { getSchema } from "../src/schema";
import {
  createCompany,
  createPerson,
  createProduct,
  createSite,
  createTenant,
  createUser,
  insertOpportunity,
  stageId,
  TestUser,
} from "./factories";
import { dataOf, useTestService } from "./support/harness";

/**
 * The JIT executor behind the real API: every operation is answered the same, to the byte, as
 * by the same service with GRAPHQL_JIT=false, over HTTP (status, body, the SQL statement count,
 * the log line) and through executeOperation; and each case checks that the compiled query (or
 * the expected graphql-js fallback) really answered.
 */

const REFERRAL_ID = "00000000-0000-4000-8000-000000000000";

/** Two services side by side need two connections; the embedded database serves exactly one. */
const embedded = process.env.DEALGRAPH_TEST_EMBEDDED === "true";
if (embedded) console.log("jit-api.test.ts: the side-by-side services are skipped on the embedded database (run with TEST_DATABASE_URL for them)");

(embedded ? describe.skip : describe)("the JIT executor behind the API (two services: needs a real PostgreSQL)", () => {
  const service = useTestService();
  const plain = useTestService({ graphqlJit: false });
  /** An Apollo server that compiles at an operation's first execution, and one on graphql-js, for executeOperation. */
  let compiling: ApolloServer<Context>;
  let graphqlJs: ApolloServer<Context>;
  let tenant: TestUser;
  let colleague: TestUser;
  let referralIds: string[];
  let documents: Record<string, string>;

  beforeAll(async () => {
    const { db } = service;
    tenant = await createTenant(db);
    colleague = await createUser(db, tenant.organizationId, tenant.workspaceId, [], { firstName: "Cole" });
    const acme = await createCompany(db, tenant.organizationId, "Acme Inc");
    const beta = await createCompany(db, tenant.organizationId, "Beta Solutions LLC");
    const source = await createPerson(db, tenant.organizationId, { firstName: "Sam", lastName: "Garcia", companyId: acme.id });
    const product = await createProduct(db, tenant.organizationId, beta.id);
    referralIds = [];
    for (let i = 0; i < 6; i++) {
      const seeker = await createPerson(db, tenant.organizationId, { lastName: `Garcia ${i}`, companyId: acme.id, referredById: source.id });
      const provider = await createPerson(db, tenant.organizationId, { companyId: beta.id, referredById: i % 2 ? source.id : null });
      const input = { seekerId: seeker.id, providerId: provider.id, description: `Deal ${i}`, expectedValue: 1000 + i + 0.25, productId: i % 3 ? product.id : undefined };
      const created = await service.http(
        `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id } } }`,
        { input },
        { key: tenant.apiKey },
      );
      referralIds.push(dataOf(created).createReferralOpportunity.data.id);
    }
    const introduced = await stageId(db, tenant.organizationId, Pipeline.REFERRAL, "introduced");
    dataOf(await service.http(`mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { success } }`, { id: referralIds[0], stageId: introduced }, { key: tenant.apiKey }));
    const site = await createSite(db, tenant.organizationId, acme.id);
    const contact = await createPerson(db, tenant.organizationId, { firstName: "Cleo", companyId: acme.id });
    const at = { organizationId: tenant.organizationId, workspaceId: tenant.workspaceId, ownerId: tenant.userId };
    for (let i = 0; i < 4; i++) {
      await insertOpportunity(db, i % 2 ? { ...at, ownerId: colleague.userId } : at, {
        customerId: i % 2 ? acme.id : beta.id,
        siteId: i % 2 ? site.id : null,
        primaryContactId: i % 2 ? contact.id : null,
        value: i ? `${i}500.50` : null,
        expectedCloseDate: new Date(`2026-0${i + 1}-15T00:00:00Z`),
        solutionFamilies: i ? ["hvac", "controls"] : [],
      });
    }
    // Each service resolves the key once (then keeps it): from here on neither sends a statement for it.
    for (const target of [service, plain]) dataOf(await target.http(`{ me { id } }`, {}, { key: tenant.apiKey }));
    const config = { exposeErrors: false, operationLimits: DEFAULT_OPERATION_LIMITS };
    compiling = await createApolloServer({ ...config, graphqlJit: true }, { jit: { compileAt: 1 } });
    graphqlJs = await createApolloServer({ ...config, graphqlJit: false });
    // The bench's documents: the lists of 100 with every nested field, a deal by id, the board, the search.
    const fake = { contactIds: [], productIds: [], customers: [], visibleReferralIds: [], changeableReferrals: [], referralStageIds: {} };
    documents = Object.fromEntries(workloads(fake as never).map((w) => [w.name.split("(")[0], w.document]));
  });

  afterAll(async () => {
    await compiling?.stop();
    await graphqlJs?.stop();
  });

  const jit = () => jitExecutorOf(service.apollo)!;

  /**
   * Sends the request over HTTP to both services and expects the same status and body, and the
   * same number of SQL statements; on the JIT service until it is answered `via` the compiled
   * query or the expected fallback (an operation's first execution runs on graphql-js, its second
   * compiled). Statements are compared for operations of one root field only: sibling root fields
   * that load through one loader batch their loads as their own statements happen to return, on
   * either executor, so their count varies from one request to the next.
   */
  async function sameOverHttp(query: string, variables: Record<string, unknown>, via: "compiled" | FallbackReason, key = tenant.apiKey) {
    const expected = await plain.http(query, variables, { key });
    const countable = getOperationAST(parse(query))?.selectionSet.selections.length === 1;
    for (let i = 0; i < 2; i++) {
      const before = structuredClone(jit().stats);
      const run = await service.http(query, variables, { key });
      expect({ ...run, sql: countable ? run.sql : 0 }).toEqual({ ...expected, sql: countable ? expected.sql : 0 });
      const compiled = jit().stats.compiledExecutions > before.compiledExecutions;
      if (via === "compiled" && compiled) return expected;
      if (via !== "compiled") {
        expect(compiled).toBe(false);
        if (jit().stats.fallbacks[via] > before.fallbacks[via]) return expected;
      }
    }
    throw new Error(`not answered ${via === "compiled" ? "by a compiled query" : `on graphql-js for "${via}"`}`);
  }

  /** The same through executeOperation, on the servers that compile at once and that run graphql-js. */
  async function sameExecuted(query: string, variables: Record<string, unknown>, via: "compiled" | FallbackReason, viewer = tenant.viewer) {
    const executor = jitExecutorOf(compiling)!;
    const before = structuredClone(executor.stats);
    const [actual, expected] = await Promise.all(
      [compiling, graphqlJs].map(async (apollo) => {
        const response = await apollo.executeOperation({ query, variables }, { contextValue: createContext(service.db, viewer) });
        return { status: response.http.status, headers: [...response.http.headers], body: JSON.stringify(response.body) };
      }),
    );
    expect(actual).toEqual(expected);
    expectRan(executor, before, via, 1);
    return JSON.parse(expected.body).singleResult;
  }

  function expectRan(executor: JitExecutor, before: JitExecutor["stats"], via: "compiled" | FallbackReason, times: number) {
    if (via === "compiled") {
      expect(executor.stats.compiledExecutions).toBe(before.compiledExecutions + 1);
    } else {
      expect(executor.stats.compiledExecutions).toBe(before.compiledExecutions);
      expect(executor.stats.fallbacks[via]).toBe(before.fallbacks[via] + times);
    }
  }

  it("the bench's lists of 100 with every nested field, a deal by id, the board and the search", async () => {
    const lists = { first: 100 };
    const referrals = await sameOverHttp(documents.referralOpportunities, lists, "compiled");
    expect(referrals.body.data.referralOpportunities.edges).toHaveLength(6);
    expect(referrals.body.data.referralOpportunities.edges.some((e: any) => e.node.facilitators.length > 0 && e.node.product)).toBe(true);
    const opportunities = await sameOverHttp(documents.opportunities, lists, "compiled");
    expect(opportunities.body.data.opportunities.edges.map((e: any) => e.node.estimatedValue).sort()).toEqual(["1500.5", "2500.5", "3500.5", null]);
    await sameOverHttp(documents.people, lists, "compiled");
    await sameOverHttp(documents.referralOpportunity, { id: referralIds[2] }, "compiled");
    await sameOverHttp(documents.pipelineBoard, { dealsPerStage: 3 }, "compiled");
    const found = await sameOverHttp(documents.searchDeals, { first: 20, search: "garcia" }, "compiled");
    expect(found.body.data.referralOpportunities.totalCount).toBe(6);
    for (const query of Object.values(documents).filter((d) => d.startsWith("query"))) await sameExecuted(query, { first: 5, dealsPerStage: 2, search: "garcia 1", id: referralIds[0] }, "compiled");
  });

  it("the abstract PipelineDeal through inline fragments, with its stage history", async () => {
    const query = `
      query Board($per: Int!) {
        pipelineBoard(pipeline: REFERRAL, dealsPerStage: $per) {
          columns {
            stage { id key }
            count totalValue { currency amount }
            deals { totalCount edges { node {
              __typename id name version stageEnteredAt
              stageHistory { fromStage { key } toStage { key } changedAt secondsInFromStage changedBy { id } }
              ... on ReferralOpportunity { expectedValue seeker { name } product { name } }
              ... on Opportunity { estimatedValue customer { name } }
            } } }
          }
        }
      }`;
    const board = await sameOverHttp(query, { per: 10 }, "compiled");
    expect(board.body.data.pipelineBoard.columns.find((c: any) => c.stage.key === "introduced").deals.edges[0].node.stageHistory).toHaveLength(2);
    await sameExecuted(query, { per: 2 }, "compiled");
    const deal = `query ($id: ID!) { pipelineDeal(id: $id) { __typename id stage { key } ... on ReferralOpportunity { connector { id } } ... on Opportunity { customer { id } } } }`;
    const answer = await sameOverHttp(deal, { id: referralIds[0] }, "compiled");
    expect(answer.body.data.pipelineDeal).toMatchObject({ __typename: "ReferralOpportunity", stage: { key: "introduced" } });
  });

  it("fragments, aliases, variables with defaults and @skip/@include on fields; on fragments, graphql-js", async () => {
    const query = `
      query Mixed($first: Int = 3, $withOwner: Boolean!, $plain: Boolean = false) {
        mine: referralOpportunities(first: $first, orderBy: { field: NAME, direction: ASC }) { ...Page }
        all: referralOpportunities { totalCount }
        me { id user @include(if: $withOwner) { id email } workspace { name } }
        people(first: 2) @skip(if: $plain) { edges { node { id name } } }
      }
      fragment Page on ReferralOpportunityConnection {
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id name owner @include(if: $withOwner) { id firstName } stage @skip(if: $plain) { key } } }
      }`;
    for (const withOwner of [true, false]) {
      await sameOverHttp(query, { withOwner }, "compiled");
      await sameExecuted(query, { withOwner, plain: !withOwner, first: 2 }, "compiled");
    }
    const onFragment = `query ($yes: Boolean!) { me { id ...Me @include(if: $yes) } } fragment Me on Me { user { email } }`;
    await sameOverHttp(onFragment, { yes: false }, "uncompilable");
  });

  it("custom scalars in and out: Decimal and DateTimeISO in filters and results", async () => {
    const query = `
      query ($since: DateTimeISO!) {
        pipelineForecast(pipeline: SALES, from: $since, to: "2026-12-31T00:00:00Z") { periods { label startsAt endsAt openCount openValue { currency amount } weightedValue { currency amount } } }
        opportunities(first: 10) { edges { node { estimatedValue expectedCloseDate createdAt } } }
      }`;
    await sameOverHttp(query, { since: "2026-01-01T00:00:00.000Z" }, "compiled");
    await sameExecuted(query, { since: "2026-02-01T00:00:00Z" }, "compiled");
  });

  it("errors: a field error naming the argument, a deal that cannot be seen, a bad variable, a limit", async () => {
    // Argument validation (validate-args.ts) names the field.
    const invalid = await sameOverHttp(`query ($first: Int!) { referralOpportunities(first: $first) { totalCount } }`, { first: -1 }, "compiled");
    expect(invalid.status).toBe(200);
    expect(invalid.body.errors![0]).toMatchObject({ path: ["referralOpportunities"], extensions: { code: "BAD_USER_INPUT" } });
    expect(JSON.stringify(invalid.body.errors![0].extensions!.fields)).toContain('"first"');
    await sameExecuted(`query ($first: Int!) { people(first: $first) { totalCount } }`, { first: 5000 }, "compiled");
    // A deal the caller may not see: the same answer as one that does not exist.
    const hidden = await sameOverHttp(`query ($id: ID!) { referralOpportunity(id: $id) { id name } me { id } }`, { id: REFERRAL_ID }, "compiled");
    expect(hidden.body.errors).toEqual([expect.objectContaining({ path: ["referralOpportunity"], extensions: expect.objectContaining({ code: "NOT_FOUND" }) })]);
    expect(hidden.body.data).toEqual({ referralOpportunity: null, me: { id: expect.any(String) } });
    await sameExecuted(`query ($id: ID!) { referralOpportunity(id: $id) { id } }`, { id: referralIds[1] }, "compiled", colleague.viewer);
    // Variables that do not coerce: graphql-js's messages, HTTP 400.
    const badVariable = await sameOverHttp(`query ($first: Int!) { people(first: $first) { totalCount } }`, { first: "ten" }, "variables");
    expect(badVariable.status).toBe(400);
    // Refused before execution (operation-limits.ts): the executor is not asked.
    const aliases = `{ ${Array.from({ length: DEFAULT_OPERATION_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
    const before = structuredClone(jit().stats);
    const limited = await service.http(aliases, {}, { key: tenant.apiKey });
    expect(limited).toEqual(await plain.http(aliases, {}, { key: tenant.apiKey }));
    expect(limited.body.errors![0].extensions).toMatchObject({ code: "OPERATION_LIMIT_EXCEEDED", limit: "aliases" });
    expect(jit().stats).toEqual(before);
  });

  it("two errors in one answer are answered by graphql-js", async () => {
    const query = `query ($a: ID!, $b: ID!) { a: referralOpportunity(id: $a) { id } b: referralOpportunity(id: $b) { id } }`;
    const answer = await sameOverHttp(query, { a: REFERRAL_ID, b: "00000000-0000-4000-8000-000000000001" }, "errors");
    expect(answer.body.errors).toHaveLength(2);
  });

  it("introspection, as Apollo Client and GraphiQL send it", async () => {
    await sameOverHttp(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }), {}, "compiled");
    await sameExecuted(`{ __schema { queryType { name } } __type(name: "PipelineDeal") { possibleTypes { name } } }`, {}, "compiled");
  });

  it("mutations run on graphql-js", async () => {
    const query = `mutation ($input: CreateCompanyInput!) { createCompany(input: $input) { success data { id name } } }`;
    const before = structuredClone(jit().stats);
    const created = await service.http(query, { input: { name: "Gamma GmbH" } }, { key: tenant.apiKey });
    expect(dataOf(created).createCompany.data.name).toBe("Gamma GmbH");
    expectRan(jit(), before, "operation", 1);
  });

  it("logs and counts each request as graphql-js's service does, and reports how operations ran in /metrics", async () => {
    const query = `query LoggedList($first: Int!) { people(first: $first) { totalCount } }`;
    for (const [target, first] of [[service, 1], [service, -1], [plain, 1], [plain, -1]] as const) await target.http(query, { first }, { key: tenant.apiKey });
    const lines = (logs: Array<Record<string, any>>) =>
      logs.filter((l) => l.operation === "LoggedList").map(({ requestId: _id, durationMs: _ms, time: _t, ...line }) => line);
    expect(lines(service.logs)).toEqual(lines(plain.logs));
    expect(lines(service.logs).map((l) => l.errorCodes ?? [])).toEqual([[], ["BAD_USER_INPUT"]]);
    const metrics = await (await fetch(service.url.replace(/\/graphql$/, "/metrics"))).text();
    expect(metrics).toMatch(/^dealgraph_graphql_jit_executions_total\{path="compiled"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^dealgraph_graphql_jit_executions_total\{path="cold"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^dealgraph_graphql_jit_executions_total\{path="operation"\} [1-9]\d*$/m);
    const off = await (await fetch(plain.url.replace(/\/graphql$/, "/metrics"))).text();
    expect(off).not.toContain("dealgraph_graphql_jit_executions_total");
    expect(jitExecutorOf(plain.apollo)).toBeUndefined();
  });
});

describe("plain property fields", () => {
  it("resolve by graphql-js's default resolver (no type-graphql wrapper); computed and renamed fields keep their resolvers", async () => {
    const schema = await getSchema();
    const resolverOf = (coordinate: string) => {
      const [typeName, fieldName] = coordinate.split(".");
      const type = schema.getType(typeName) as { getFields(): Record<string, { resolve?: unknown }> };
      expect(type.getFields()[fieldName]).toBeDefined();
      return type.getFields()[fieldName].resolve;
    };
    for (const plain of ["ReferralOpportunity.name", "ReferralOpportunityConnection.edges", "ReferralOpportunityEdge.node", "PageInfo.endCursor", "Stage.key", "Person.firstName"]) {
      expect([plain, resolverOf(plain)]).toEqual([plain, undefined]);
    }
    for (const computed of ["Opportunity.title", "ReferralOpportunity.expectedValue", "ReferralOpportunity.stage", "ReferralOpportunityConnection.totalCount", "PipelineDealFacilitator.userId", "Query.me"]) {
      expect([computed, typeof resolverOf(computed)]).toEqual([computed, "function"]);
    }
  });
});
