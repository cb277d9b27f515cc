import { execFile, ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { Client } from "pg";
import { runCli } from "../src/cli";
import { loadConfig } from "../src/config";
import { generateApiKey } from "../src/core/auth/api-keys";
import { AuthCache, ResolvedKey } from "../src/core/auth/auth-cache";
import { LISTENER_APPLICATION_NAME } from "../src/core/db/notifications";
import { adminService } from "../src/modules/admin/admin.service";
import { createTenant, createUser, createWorkspace, TestUser } from "./factories";
import { dataOf, errorOf, GraphQLResult, useTestService } from "./support/harness";
import { startReplicaProcess, stopProcess } from "./support/replica-process";

const embedded = process.env.DEALGRAPH_TEST_EMBEDDED === "true";
const run = promisify(execFile);

/** Answered from the viewer alone: a request that costs no statement once its key is cached. */
const ME = `{ me { id } }`;
const ME_WORKSPACE = `{ me { id workspace { id } } }`;
const ENDPOINTS = `{ webhookEndpoints { id } }`;

/** How long a change may take to reach every cached key: a correctness bound, not a speed target. */
const BOUND_MS = 1000;

/** Asks `attempt` again until it says yes; fails once BOUND_MS has passed without. */
async function withinBound<T>(what: string, attempt: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const value = await attempt();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${BOUND_MS} ms; last answer ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const code = (result: GraphQLResult) => result.body.errors?.[0]?.extensions?.code ?? "OK";

describe("API keys resolved from the in-process cache", () => {
  const service = useTestService();
  let tenant: TestUser;

  beforeAll(async () => {
    tenant = await createTenant(service.db);
  });

  /** A user of its own (a member, with a key), for a test that changes it. */
  const freshUser = () => createUser(service.db, tenant.organizationId, tenant.workspaceId);
  /** SQL as someone else types it: from a connection of its own on a server (the embedded database has one connection). */
  async function bySql(sql: string, values: unknown[]): Promise<void> {
    if (embedded) {
      await service.db.query(sql, values);
      return;
    }
    const client = new Client({ connectionString: process.env.DEALGRAPH_TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql, values);
    } finally {
      await client.end();
    }
  }
  /** Sends requests until one is answered from the cache (a notification may still be on its way from the factories' writes). */
  const cached = (key: string, workspaceId?: string) =>
    withinBound("a request answered from the cache", () => service.http(ME, {}, { key, workspaceId }), (r) => r.sql === 0 && code(r) === "OK");

  it("authenticates a key seen before without a statement", async () => {
    const user = await freshUser();
    const first = await service.http(ME, {}, { key: user.apiKey });
    expect(dataOf(first).me).toEqual({ id: user.userId });
    expect(first.sql).toBe(1); // the key lookup; `me { id }` needs nothing else
    const second = await cached(user.apiKey);
    expect(dataOf(second).me).toEqual({ id: user.userId });
    expect((await service.http(ME, {}, { key: user.apiKey })).sql).toBe(0);
  });

  it("still chooses the workspace per request: X-Workspace-Id from a cached key", async () => {
    const second = await createWorkspace(service.db, tenant.organizationId);
    const user = await createUser(service.db, tenant.organizationId, tenant.workspaceId, [second]);
    await cached(user.apiKey);
    const home = await service.http(ME_WORKSPACE, {}, { key: user.apiKey });
    expect(dataOf(home).me.workspace.id).toBe(tenant.workspaceId);
    const there = await service.http(ME_WORKSPACE, {}, { key: user.apiKey, workspaceId: second.toUpperCase() });
    expect(dataOf(there).me.workspace.id).toBe(second);
    expect([home.sql, there.sql]).toEqual([1, 1]); // the workspace, not the key
    const elsewhere = await createWorkspace(service.db, tenant.organizationId);
    const refused = await service.http(ME, {}, { key: user.apiKey, workspaceId: elsewhere });
    expect(errorOf(refused)).toMatchObject({ message: `You are not a member of workspace ${elsewhere}.`, extensions: { code: "FORBIDDEN" } });
    expect(refused.sql).toBe(0);
  });

  it("refuses a revoked key within a second of a revoke by the CLI, and at once in the process that revoked it", async () => {
    const user = await freshUser();
    await cached(user.apiKey);
    let stdout = "";
    const exit = await runCli(["revoke-key", "--key", user.apiKey], { stdout: (t) => (stdout += t), stderr: () => undefined }, async () => ({
      dataSource: service.db,
      close: async () => undefined,
    }));
    expect({ exit, revokedAt: JSON.parse(stdout).revokedAt }).toEqual({ exit: 0, revokedAt: expect.any(String) });
    // The CLI's adminService told this process's cache itself: no wait at all.
    const refused = await service.http(ME, {}, { key: user.apiKey });
    expect(errorOf(refused)).toMatchObject({ message: "The API key has been revoked.", extensions: { code: "UNAUTHENTICATED" } });
  });

  it("refuses a key revoked by SQL typed by hand within a second", async () => {
    const user = await freshUser();
    await cached(user.apiKey);
    await bySql(`UPDATE api_key SET revoked_at = now() WHERE prefix = $1`, [user.apiKey.slice(0, 11)]);
    const refused = await withinBound("UNAUTHENTICATED", () => service.http(ME, {}, { key: user.apiKey }), (r) => code(r) === "UNAUTHENTICATED");
    expect(errorOf(refused).message).toBe("The API key has been revoked.");
    expect(refused.status).toBe(401);
  });

  it("refuses a key deleted by hand, and one whose user is no longer a user, within a second", async () => {
    const [gone, demoted] = [await freshUser(), await freshUser()];
    await cached(gone.apiKey);
    await cached(demoted.apiKey);
    await bySql(`DELETE FROM api_key WHERE prefix = $1`, [gone.apiKey.slice(0, 11)]);
    const deleted = await withinBound("deleted key refused", () => service.http(ME, {}, { key: gone.apiKey }), (r) => code(r) === "UNAUTHENTICATED");
    expect(errorOf(deleted).message).toBe("The API key is not valid.");
    await bySql(`UPDATE person SET type = 'CONTACT', role = NULL WHERE id = $1`, [demoted.userId]);
    await withinBound("a contact's key refused", () => service.http(ME, {}, { key: demoted.apiKey }), (r) => code(r) === "UNAUTHENTICATED");
  });

  it("applies set-role within a second, both ways", async () => {
    const user = await freshUser();
    await cached(user.apiKey);
    expect(code(await service.http(ENDPOINTS, {}, { key: user.apiKey }))).toBe("FORBIDDEN");
    await adminService.setRole(service.db, { user: user.userId, role: "admin" });
    await withinBound("admin", () => service.http(ENDPOINTS, {}, { key: user.apiKey }), (r) => code(r) === "OK");
    // By hand this time: the trigger's notification, not the admin service, clears the cache.
    await bySql(`UPDATE person SET role = 'member' WHERE id = $1`, [user.userId]);
    await withinBound("member again", () => service.http(ENDPOINTS, {}, { key: user.apiKey }), (r) => code(r) === "FORBIDDEN");
  });

  it("applies a membership added or removed within a second", async () => {
    const second = await createWorkspace(service.db, tenant.organizationId);
    const user = await freshUser();
    await cached(user.apiKey);
    expect(code(await service.http(ME, {}, { key: user.apiKey, workspaceId: second }))).toBe("FORBIDDEN");
    await adminService.addMember(service.db, { workspace: second, user: user.userId });
    await withinBound("the new workspace", () => service.http(ME, {}, { key: user.apiKey, workspaceId: second }), (r) => code(r) === "OK");
    await bySql(`DELETE FROM workspace_membership WHERE workspace_id = $1 AND user_id = $2`, [second, user.userId]);
    const refused = await withinBound(
      "membership removed",
      () => service.http(ME, {}, { key: user.apiKey, workspaceId: second }),
      (r) => code(r) === "FORBIDDEN",
    );
    expect(errorOf(refused).message).toBe(`You are not a member of workspace ${second}.`);
    // The default workspace moves with it.
    await bySql(`UPDATE person SET default_workspace_id = NULL WHERE id = $1`, [user.userId]);
    await bySql(`DELETE FROM workspace_membership WHERE workspace_id = $1 AND user_id = $2`, [tenant.workspaceId, user.userId]);
    await withinBound("no workspace left", () => service.http(ME, {}, { key: user.apiKey }), (r) => code(r) === "FORBIDDEN");
  });

  it("refuses a key once it expires, checked against the clock without a statement", async () => {
    const user = await freshUser();
    const { key, hash, prefix } = generateApiKey();
    // Inserted with an expiry 3 s away: an insert notifies nothing, and no row changes later.
    await service.db.query(
      `INSERT INTO api_key (organization_id, user_id, prefix, key_hash, expires_at) VALUES ($1, $2, $3, $4, now() + interval '3 seconds')`,
      [tenant.organizationId, user.userId, prefix, hash],
    );
    const [{ expires_at: expiresAt }] = await service.db.query(`SELECT expires_at FROM api_key WHERE prefix = $1`, [prefix]);
    await cached(key);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now() + 50)));
    const expired = await service.http(ME, {}, { key });
    expect(errorOf(expired)).toMatchObject({ message: "The API key has expired.", extensions: { code: "UNAUTHENTICATED" } });
    expect(expired.sql).toBe(0);
  });

  it("refuses an unknown key it has seen without a statement", async () => {
    const unknown = generateApiKey().key;
    const first = await service.http(ME, {}, { key: unknown });
    expect({ message: errorOf(first).message, sql: first.sql }).toEqual({ message: "The API key is not valid.", sql: 1 });
    const again = await withinBound("refused from the cache", () => service.http(ME, {}, { key: unknown }), (r) => r.sql === 0);
    expect(errorOf(again).message).toBe("The API key is not valid.");
  });

  (embedded ? describe.skip : describe)("when the listener's connection drops (needs a real PostgreSQL)", () => {
    it("resolves keys from the database until it listens again, and misses no revoke made meanwhile", async () => {
      const user = await freshUser();
      await cached(user.apiKey);
      await bySql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [
        LISTENER_APPLICATION_NAME,
      ]);
      await withinBound("the loss noticed", async () => service.app.notifications.listening, (listening) => !listening);
      // Revoked while nobody listens: the notification is lost; the cache must not answer.
      await bySql(`UPDATE api_key SET revoked_at = now() WHERE prefix = $1`, [user.apiKey.slice(0, 11)]);
      const refused = await service.http(ME, {}, { key: user.apiKey });
      expect(errorOf(refused).message).toBe("The API key has been revoked.");
      expect(refused.sql).toBe(1);

      await withinBound("listening again", async () => service.app.notifications.listening, (listening) => listening);
      const other = await freshUser();
      await cached(other.apiKey);
      expect(errorOf(await service.http(ME, {}, { key: user.apiKey })).message).toBe("The API key has been revoked.");
    });
  });

  (embedded ? describe.skip : describe)("across service processes (needs a real PostgreSQL)", () => {
    const children: ChildProcess[] = [];
    afterAll(async () => {
      await Promise.all(children.splice(0).map((child) => stopProcess(child, "SIGKILL")));
    });

    const post = async (url: string, key: string, query = ME) => {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) });
      return { status: response.status, body: (await response.json()) as GraphQLResult["body"], sql: Number(response.headers.get("x-sql-statements")) };
    };

    it("a revoke in one process, or by the CLI in another, is refused by a replica within a second", async () => {
      const replica = await startReplicaProcess({ SQL_STATS: "true" });
      children.push(replica.child);
      const [a, b] = [await freshUser(), await freshUser()];
      for (const user of [a, b]) {
        await withinBound("cached by the replica", () => post(replica.url, user.apiKey), (r) => r.sql === 0 && code(r) === "OK");
      }
      // Revoked by this process (its own cache is told directly; the replica only by the notification).
      await adminService.revokeKey(service.db, { key: a.apiKey });
      await withinBound("refused by the replica", () => post(replica.url, a.apiKey), (r) => code(r) === "UNAUTHENTICATED");
      // Revoked by the CLI, a process of its own that serves nothing.
      const env = { ...process.env, DATABASE_URL: process.env.DEALGRAPH_TEST_DATABASE_URL! };
      await run(process.execPath, ["dist/src/cli.js", "revoke-key", "--key", b.apiKey], { env });
      await withinBound("refused by the replica", () => post(replica.url, b.apiKey), (r) => code(r) === "UNAUTHENTICATED");
      expect(code(await service.http(ME, {}, { key: b.apiKey }))).toBe("UNAUTHENTICATED");
    }, 60_000);
  });
});

describe("AUTH_CACHE_TTL_MS=0", () => {
  const service = useTestService({ authCache: { ttlMs: 0, maxKeys: 10_000 } });

  it("turns the cache off: every request looks its key up", async () => {
    const tenant = await createTenant(service.db);
    for (let i = 0; i < 3; i++) expect((await service.http(ME, {}, { key: tenant.apiKey })).sql).toBe(1);
  });

  it("is read, with AUTH_CACHE_MAX_KEYS, from the environment", () => {
    expect(loadConfig({}).authCache).toEqual({ ttlMs: 30_000, maxKeys: 10_000 });
    expect(loadConfig({ AUTH_CACHE_TTL_MS: "0", AUTH_CACHE_MAX_KEYS: "50" }).authCache).toEqual({ ttlMs: 0, maxKeys: 50 });
    expect(() => loadConfig({ AUTH_CACHE_TTL_MS: "soon" })).toThrow("AUTH_CACHE_TTL_MS must be a whole number");
    expect(() => loadConfig({ AUTH_CACHE_MAX_KEYS: "0" })).toThrow("AUTH_CACHE_MAX_KEYS must be at least 1");
  });
});

describe("AuthCache", () => {
  const key = (organizationId: string, keyId = "k"): ResolvedKey => ({
    keyId,
    organizationId,
    userId: "u",
    isAdmin: false,
    expiresAt: Number.MAX_SAFE_INTEGER,
    revoked: false,
    defaultWorkspaceId: null,
    workspaceIds: ["w"],
  });
  const trusted = (settings = { ttlMs: 1000, maxKeys: 3 }) => {
    const cache = new AuthCache(settings);
    cache.setTrusted(true);
    return cache;
  };

  it("keeps a key for the TTL, no longer", () => {
    const cache = trusted();
    cache.set("h", key("o"), cache.ticket(), 0);
    expect(cache.get("h", 999)).toMatchObject({ organizationId: "o" });
    expect(cache.get("h", 1000)).toBeUndefined();
  });

  it("holds at most maxKeys, the least recently used leaving first", () => {
    const cache = trusted();
    for (const h of ["a", "b", "c"]) cache.set(h, key("o", h), cache.ticket(), 0);
    cache.get("a", 1);
    cache.set("d", key("o", "d"), cache.ticket(), 1);
    expect(["a", "b", "c", "d"].map((h) => cache.get(h, 2)?.keyId)).toEqual(["a", undefined, "c", "d"]);
  });

  it("keeps unknown keys apart, in a tenth of the room, so a flood of them evicts no known key", () => {
    const cache = trusted({ ttlMs: 1000, maxKeys: 100 });
    for (let i = 0; i < 100; i++) cache.set(`known${i}`, key("o", `k${i}`), cache.ticket(), 0);
    for (let i = 0; i < 10_000; i++) cache.set(`made-up${i}`, null, cache.ticket(), 0);
    expect(cache.size).toBe(110);
    expect(cache.get("known0", 1)?.keyId).toBe("k0");
    expect(cache.get("made-up9999", 1)).toBeNull();
    expect(cache.get("made-up0", 1)).toBeUndefined();
    expect(cache.get("made-up9999", 1000)).toBeUndefined();
  });

  it("forgets an organization's keys, and every unknown key, on its notification; '*' forgets all", () => {
    const cache = trusted();
    cache.set("a", key("o1"), cache.ticket(), 0);
    cache.set("b", key("o2"), cache.ticket(), 0);
    cache.set("x", null, cache.ticket(), 0);
    cache.invalidate("o1");
    expect([cache.get("a", 1), cache.get("b", 1)?.organizationId, cache.get("x", 1)]).toEqual([undefined, "o2", undefined]);
    cache.invalidate("*");
    expect(cache.size).toBe(0);
  });

  it("does not keep a lookup that was under way when a notification arrived", () => {
    const cache = trusted();
    const ticket = cache.ticket();
    cache.invalidate("o2");
    cache.set("a", key("o1"), ticket, 0);
    expect(cache.get("a", 1)).toBeUndefined();
  });

  it("neither answers nor keeps anything while untrusted, and starts over empty when trusted again", () => {
    const cache = trusted();
    cache.set("a", key("o"), cache.ticket(), 0);
    cache.setTrusted(false);
    expect(cache.get("a", 1)).toBeUndefined();
    expect(cache.ticket()).toBeNull();
    cache.set("b", key("o"), cache.ticket(), 1);
    cache.setTrusted(true);
    expect([cache.get("a", 2), cache.get("b", 2), cache.size]).toEqual([undefined, undefined, 0]);
  });

  it("shares one frozen list of workspaces between requests", () => {
    const cache = trusted();
    cache.set("a", key("o"), cache.ticket(), 0);
    expect(Object.isFrozen(cache.get("a", 1)!.workspaceIds)).toBe(true);
  });
});
