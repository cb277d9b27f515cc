import fs from "node:fs";
import path from "node:path";
import { referralOpenApi } from "../src/modules/referral/referral.openapi";
import { Pipeline } from "../src/modules/stage/stage.entity";
import { createCompany, createPerson, createProduct, createTenant, createUser, createWorkspace, stageId, TestUser } from "./factories";
import { dataOf, useTestService } from "./support/harness";
import { expectDocumented } from "./support/openapi";

interface RestResult {
  status: number;
  body: any;
  headers: Headers;
  sql: number;
}

/** The seed's response, as seeds/referral-opportunity-create.txt prints it: the shape every answer must have. */
const SEED_DATA = {
  id: "u", pipelineDealId: "u", name: "s", description: null, expectedValue: null, currency: "USD",
  stage: { id: "u", label: "Lead", color: "#3B82F6", description: "s", sortOrder: 1 },
  owner: { id: "u", firstName: "s", lastName: "s", email: "s" },
  seeker: { type: "USER", id: "u", firstName: null, lastName: null, email: null, name: null, company: { id: "u", name: "s" } },
  provider: { type: "USER", id: "u", firstName: null, lastName: null, email: null, name: null, company: { id: "u", name: "s" } },
  connector: { id: "u", firstName: null, lastName: null, email: null, company: { id: "u", name: "s" } },
  facilitators: [{ id: "u", userId: null, companyId: null, role: "connector", side: "seeker", user: { id: "u", firstName: "s", lastName: "s", email: "s" }, company: { id: "u", name: "s" } }],
  createdAt: "2026-05-20T14:22:03.090Z",
  updatedAt: "2026-05-20T14:22:03.090Z",
};

/** The keys of every object, recursively, as a sorted list of paths: the shape without the values. */
function keysOf(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.length ? keysOf(value[0], `${prefix}[]`) : [];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}${key}`, ...keysOf(child, `${prefix}${key}.`)]).sort();
}

describe("REST: /api/referral-opps", () => {
  const service = useTestService();
  let me: TestUser;
  let stranger: TestUser;
  let seekerId: string;
  let providerId: string;
  let productId: string;
  let base: string;

  beforeAll(async () => {
    base = service.url.replace(/\/graphql$/, "");
    me = await createTenant(service.db);
    stranger = await createUser(service.db, me.organizationId, await createWorkspace(service.db, me.organizationId));
    const acme = await createCompany(service.db, me.organizationId, "Acme Inc");
    const beta = await createCompany(service.db, me.organizationId, "Beta Solutions LLC");
    seekerId = (await createPerson(service.db, me.organizationId, { firstName: "Alice", companyId: acme.id })).id;
    providerId = (await createPerson(service.db, me.organizationId, { firstName: "Bob", companyId: beta.id })).id;
    productId = (await createProduct(service.db, me.organizationId, beta.id)).id;
    // The seed's connector (you, by default) has an employer, so every object of its answer is there.
    await service.db.query(`UPDATE person SET company_id = $1 WHERE organization_id = $2 AND id = $3`, [acme.id, me.organizationId, me.userId]);
  });

  /** A REST request as curl sends it; the answer is checked against the OpenAPI document. */
  async function rest(
    method: string,
    route: string,
    { path: url = route, body, key = me.apiKey, headers = {} }: { path?: string; body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
  ): Promise<RestResult> {
    const response = await fetch(base + url, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const result = { status: response.status, body: await response.json(), headers: response.headers, sql: Number(response.headers.get("x-sql-statements")) };
    expectDocumented(method, route, result.status, result.body);
    return result;
  }
  const create = (body: unknown, headers: Record<string, string> = {}) => rest("POST", "/api/referral-opps", { body, headers });

  it("answers the seed's curl, empty optional ids and all, with the seed's shape, key for key and type for type", async () => {
    const result = await create({
      seekerId, providerId, connectorId: "", name: "Acme Inc → Beta Solutions LLC", description: "", expectedValue: 50000, currency: "USD", productId: "",
    });
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ success: true, message: "Referral opportunity created successfully" });
    expect(Object.keys(result.body)).toEqual(["success", "data", "message"]);
    expect(keysOf(result.body.data)).toEqual(keysOf(SEED_DATA));
    const data = result.body.data;
    expect(data).toMatchObject({
      pipelineDealId: data.id, name: "Acme Inc → Beta Solutions LLC", description: null, expectedValue: 50000, currency: "USD",
      stage: { label: "Lead", color: "#3B82F6", sortOrder: 1 },
      owner: { id: me.userId },
      seeker: { id: seekerId, type: "CONTACT", firstName: "Alice", company: { name: "Acme Inc" } },
      connector: { id: me.userId },
      facilitators: [{ userId: me.userId, role: "connector", side: "seeker", user: { id: me.userId } }],
    });
    expect(typeof data.expectedValue).toBe("number");
    expect(data.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(result.headers.get("etag")).toBe('"1"');
  });

  it("gives the same rows and the same values as the GraphQL mutation, in as many statements", async () => {
    const input = { seekerId, providerId, description: "Same both ways", expectedValue: 12.25, currency: "eur", productId };
    const viaRest = await create(input);
    const viaGraphQL = await service.http(
      `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data {
        id pipelineDealId name description expectedValue currency
        stage { id label color description sortOrder } owner { id firstName lastName email }
        seeker { type id firstName lastName email name company { id name } } provider { type id firstName lastName email name company { id name } }
        connector { id firstName lastName email company { id name } }
        facilitators { id userId companyId role side user { id firstName lastName email } company { id name } } createdAt updatedAt } } }`,
      { input },
      { key: me.apiKey },
    );
    const graph = dataOf(viaGraphQL).createReferralOpportunity.data;
    // The same values, spelled as each API spells them: REST's JSON number is GraphQL's exact Decimal string.
    const pick = (d: any) => ({ ...d, id: undefined, pipelineDealId: undefined, createdAt: undefined, updatedAt: undefined,
      expectedValue: d.expectedValue === null ? null : Number(d.expectedValue),
      facilitators: d.facilitators.map((f: any) => ({ ...f, id: undefined, role: f.role.toLowerCase(), side: f.side.toLowerCase() })) });
    expect(pick(viaRest.body.data)).toEqual(pick(graph));
    const rows = await service.db.query(
      `SELECT kind, name, description, value, currency, stage_id, owner_id, workspace_id, visibility_mode, seeker_id, provider_id, connector_id, product_id, version
         FROM pipeline_deal WHERE id = ANY($1) ORDER BY created_at`,
      [[viaRest.body.data.id, graph.id]],
    );
    expect(rows[0]).toEqual(rows[1]);
    expect(viaRest.sql).toBe(viaGraphQL.sql);
  });

  it("reports every bad field at once, without the input. prefix, and writes nothing", async () => {
    const before = Number((await service.db.query(`SELECT count(*) FROM pipeline_deal WHERE organization_id = $1`, [me.organizationId]))[0].count);
    const result = await create({ seekerId: "nope", providerId, expectedValue: -1, currency: "XX", colour: "red" });
    expect(result.status).toBe(400);
    expect(result.body.success).toBe(false);
    expect(result.body.error.code).toBe("BAD_USER_INPUT");
    expect(result.body.error.fields.map((f: any) => f.path).sort()).toEqual(["colour", "currency", "expectedValue", "seekerId"]);
    // Text PostgreSQL cannot store is a field error here too, as over GraphQL.
    const unstorable = await create({ seekerId, providerId, name: "a\u0000b", description: "\ud800" });
    expect(unstorable.status).toBe(400);
    expect(unstorable.body.error.fields.map((f: any) => [f.path, f.constraint]).sort()).toEqual([
      ["description", "isWellFormedText"],
      ["name", "noNulCharacter"],
    ]);
    const after = Number((await service.db.query(`SELECT count(*) FROM pipeline_deal WHERE organization_id = $1`, [me.organizationId]))[0].count);
    expect(after).toBe(before);
  });

  it("answers each failure with its status", async () => {
    const deal = (await create({ seekerId, providerId })).body.data;
    expect((await rest("POST", "/api/referral-opps", { body: "{ not json" })).status).toBe(400);
    expect((await rest("POST", "/api/referral-opps", { body: { seekerId, providerId }, key: null })).status).toBe(401);
    expect((await rest("POST", "/api/referral-opps", { body: { seekerId, providerId }, headers: { "x-workspace-id": stranger.workspaceId } })).status).toBe(403);
    const missing = await rest("GET", "/api/referral-opps/{id}", { path: "/api/referral-opps/00000000-0000-4000-8000-000000000000" });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("NOT_FOUND");
    const unknownRoute = await fetch(`${base}/api/nothing-here`, { headers: { authorization: `Bearer ${me.apiKey}` } });
    expect(unknownRoute.status).toBe(404);
    expect(await unknownRoute.json()).toMatchObject({ success: false, error: { code: "NOT_FOUND" } });
    const wrongMethod = await rest("PUT", "/api/referral-opps/{id}", { path: `/api/referral-opps/${deal.id}` }).catch((e) => e);
    expect(String(wrongMethod)).toMatch(/PUT .* is not in the OpenAPI document/);
    const put = await fetch(`${base}/api/referral-opps/${deal.id}`, { method: "PUT", headers: { authorization: `Bearer ${me.apiKey}` } });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, PATCH, DELETE");
    const notJson = await rest("POST", "/api/referral-opps", { body: "seekerId=1", headers: { "content-type": "text/plain" } });
    expect(notJson.status).toBe(415);
    const huge = await rest("POST", "/api/referral-opps", { body: JSON.stringify({ seekerId, providerId, description: "x".repeat(2 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    const forbidden = await rest("PATCH", "/api/referral-opps/{id}", { path: `/api/referral-opps/${deal.id}`, body: { name: "Mine now" }, key: stranger.apiKey });
    expect(forbidden.status).toBe(404); // a WORKSPACE_LOCAL deal the stranger cannot see
    // An opportunity's id is not a referral's: 404 on every referral route, and nothing written.
    const customerId = (await createCompany(service.db, me.organizationId)).id;
    const opportunityId = dataOf(
      await service.http(`mutation ($input: CreateOpportunityInput!) { createOpportunity(input: $input) { data { id } } }`, { input: { customerId, title: "T", pipelineType: "OTHER" } }, { key: me.apiKey }),
    ).createOpportunity.data.id;
    const salesWon = await stageId(service.db, me.organizationId, Pipeline.SALES, "won");
    expect((await rest("POST", "/api/referral-opps/{id}/stage", { path: `/api/referral-opps/${opportunityId}/stage`, body: { stageId: salesWon } })).status).toBe(404);
    expect((await rest("DELETE", "/api/referral-opps/{id}", { path: `/api/referral-opps/${opportunityId}` })).status).toBe(404);
    expect((await service.db.query(`SELECT version, archived_at FROM pipeline_deal WHERE id = $1`, [opportunityId]))[0]).toEqual({ version: 1, archived_at: null });
  });

  it("masks an unexpected failure as 500, exactly as GraphQL masks it, with no internals", async () => {
    await service.db.query(`
      CREATE OR REPLACE FUNCTION fail_rest_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure with internals'; END $$`);
    await service.db.query(`
      CREATE TRIGGER fail_rest_insert BEFORE INSERT ON pipeline_deal
        FOR EACH ROW WHEN (NEW.name = 'Make it fail') EXECUTE FUNCTION fail_rest_insert()`);
    try {
      const result = await create({ seekerId, providerId, name: "Make it fail" });
      expect(result.status).toBe(500);
      expect(result.body).toEqual({ success: false, message: "Internal server error", error: { code: "INTERNAL_SERVER_ERROR" } });
      const viaGraphQL = await service.http(
        `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { success } }`,
        { input: { seekerId, providerId, name: "Make it fail" } },
        { key: me.apiKey },
      );
      expect(viaGraphQL.body.errors![0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    } finally {
      await service.db.query(`DROP TRIGGER fail_rest_insert ON pipeline_deal`);
      await service.db.query(`DROP FUNCTION fail_rest_insert`);
    }
  });

  it("replays an Idempotency-Key: the first deal again, marked as a replay, also for two requests at once", async () => {
    const first = await create({ seekerId, providerId }, { "idempotency-key": "rest-key-1" });
    const again = await create({ seekerId, providerId }, { "idempotency-key": "rest-key-1" });
    expect(again.status).toBe(201);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const different = await create({ seekerId, providerId, name: "Not the same" }, { "idempotency-key": "rest-key-1" });
    expect(different.status).toBe(422);
    expect(different.body.error.fields).toEqual([expect.objectContaining({ path: "idempotencyKey", constraint: "isSameRequest" })]);
    if (process.env.DEALGRAPH_TEST_EMBEDDED !== "true") {
      const both = await Promise.all([1, 2].map(() => create({ seekerId, providerId }, { "idempotency-key": "rest-key-2" })));
      expect(both[0].body.data.id).toBe(both[1].body.data.id);
      expect(both.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(1);
    }
    const count = await service.db.query(`SELECT count(*)::int AS n FROM pipeline_deal WHERE organization_id = $1 AND idempotency_key LIKE 'rest-key-%'`, [me.organizationId]);
    expect(count[0].n).toBe(process.env.DEALGRAPH_TEST_EMBEDDED !== "true" ? 2 : 1);
  });

  it("reads, updates with ETag and If-Match, moves and archives", async () => {
    const id = (await create({ seekerId, providerId, expectedValue: 10 })).body.data.id;
    const read = await rest("GET", "/api/referral-opps/{id}", { path: `/api/referral-opps/${id}` });
    expect(read.body).toMatchObject({ success: true, data: { id, expectedValue: 10 } });
    expect(read.headers.get("etag")).toBe('"1"');
    // Ids in any case, as over GraphQL.
    const upper = await rest("GET", "/api/referral-opps/{id}", { path: `/api/referral-opps/${id.toUpperCase()}` });
    expect(upper.body.data.id).toBe(id);

    const patched = await rest("PATCH", "/api/referral-opps/{id}", { path: `/api/referral-opps/${id}`, body: { expectedValue: 20, description: "Now" }, headers: { "if-match": '"1"' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ message: "Referral opportunity updated successfully", data: { expectedValue: 20, description: "Now" } });
    expect(patched.headers.get("etag")).toBe('"2"');
    const stale = await rest("PATCH", "/api/referral-opps/{id}", { path: `/api/referral-opps/${id}`, body: { expectedValue: 30 }, headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get("etag")).toBe('"2"');
    expect(stale.body.error).toMatchObject({ code: "CONFLICT", currentVersion: 2 });

    const meeting = await stageId(service.db, me.organizationId, Pipeline.REFERRAL, "meeting");
    const moved = await rest("POST", "/api/referral-opps/{id}/stage", { path: `/api/referral-opps/${id}/stage`, body: { stageId: meeting } });
    expect(moved.body.data.stage).toMatchObject({ id: meeting, label: "Meeting" });
    const wrongPipeline = await rest("POST", "/api/referral-opps/{id}/stage", { path: `/api/referral-opps/${id}/stage`, body: { stageId: await stageId(service.db, me.organizationId, Pipeline.SALES, "won") } });
    expect(wrongPipeline.status).toBe(400);
    expect(wrongPipeline.body.error.fields[0].path).toBe("stageId");

    const archived = await rest("DELETE", "/api/referral-opps/{id}", { path: `/api/referral-opps/${id}` });
    expect(archived.status).toBe(200);
    const conflict = await rest("PATCH", "/api/referral-opps/{id}", { path: `/api/referral-opps/${id}`, body: { name: "No" } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.reason).toBe("ARCHIVED");
    const list = await rest("GET", "/api/referral-opps", { path: "/api/referral-opps?limit=100" });
    expect(list.body.data.map((d: any) => d.id)).not.toContain(id);
  });

  it("lists in pages with the GraphQL list's visibility and order, and names a bad parameter", async () => {
    const other = await createTenant(service.db);
    const a = await createPerson(service.db, other.organizationId);
    const b = await createPerson(service.db, other.organizationId);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${base}/api/referral-opps`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${other.apiKey}` },
        body: JSON.stringify({ seekerId: a.id, providerId: b.id, name: `Page ${i}` }),
      });
      ids.unshift(((await response.json()) as any).data.id);
    }
    const first = await rest("GET", "/api/referral-opps", { path: "/api/referral-opps?limit=2", key: other.apiKey });
    expect(first.body.data.map((d: any) => d.id)).toEqual(ids.slice(0, 2));
    expect(first.body.pagination.hasMore).toBe(true);
    const second = await rest("GET", "/api/referral-opps", { path: `/api/referral-opps?limit=2&cursor=${encodeURIComponent(first.body.pagination.nextCursor)}`, key: other.apiKey });
    expect(second.body).toMatchObject({ data: [{ id: ids[2] }], pagination: { nextCursor: null, hasMore: false } });
    const filtered = await rest("GET", "/api/referral-opps", { path: `/api/referral-opps?seekerId=${a.id}&createdAfter=2020-01-01T00:00:00Z`, key: other.apiKey });
    expect(filtered.body.data).toHaveLength(3);
    const bad = await rest("GET", "/api/referral-opps", { path: "/api/referral-opps?limit=0&seekerId=x&color=red", key: other.apiKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: any) => f.path).sort()).toEqual(["color", "limit", "seekerId"]);
    const badCursor = await rest("GET", "/api/referral-opps", { path: "/api/referral-opps?cursor=bogus", key: other.apiKey });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.fields[0].path).toBe("cursor");
  });

  it("serves its OpenAPI document, which is the committed openapi.json (run `npm run schema` when this fails)", async () => {
    const served = await fetch(`${base}/api/openapi.json`);
    expect(served.status).toBe(200);
    const committed = fs.readFileSync(path.join(__dirname, "..", "openapi.json"), "utf8");
    expect(committed).toBe(JSON.stringify(referralOpenApi, null, 2) + "\n");
    expect(await served.json()).toEqual(JSON.parse(committed));
  });
});
