import { generateApiKey } from "../src/core/auth/api-keys";
import { ApiKey } from "../src/modules/api-key/api-key.entity";
import { adminService } from "../src/modules/admin/admin.service";
import { createTenant, createWorkspace, TestUser } from "./factories";
import { dataOf, errorOf, useTestService } from "./support/harness";

const ME = `{ me { id workspace { id } } }`;

describe("authentication", () => {
  const service = useTestService();
  let tenant: TestUser;

  beforeAll(async () => {
    tenant = await createTenant(service.db);
  });

  it("answers a request that carries a valid key", async () => {
    const result = await service.http(ME, {}, { key: tenant.apiKey });
    expect(result.status).toBe(200);
    expect(dataOf(result).me).toEqual({ id: tenant.userId, workspace: { id: tenant.workspaceId } });
  });

  it.each([
    ["no Authorization header", {}],
    ["a header that is not Bearer", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }],
    ["a malformed key", { authorization: "Bearer not-a-key" }],
    ["an unknown key", { authorization: `Bearer ${generateApiKey().key}` }],
  ])("refuses %s with UNAUTHENTICATED", async (_case, headers) => {
    const result = await service.http(ME, {}, { headers });
    expect(result.status).toBe(401);
    expect(errorOf(result).extensions?.code).toBe("UNAUTHENTICATED");
    expect(result.body.data).toBeUndefined();
  });

  it("refuses an expired key", async () => {
    const { apiKey } = await adminService.createKey(service.db, { user: tenant.userId });
    await service.db.getRepository(ApiKey).createQueryBuilder().update().set({ expiresAt: new Date(Date.now() - 1000) })
      .where("prefix = :prefix", { prefix: apiKey.slice(0, 11) }).execute();
    const result = await service.http(ME, {}, { key: apiKey });
    expect(result.status).toBe(401);
    expect(errorOf(result)).toMatchObject({ message: "The API key has expired.", extensions: { code: "UNAUTHENTICATED" } });
  });

  it("refuses a revoked key", async () => {
    const { apiKey } = await adminService.createKey(service.db, { user: tenant.userId });
    expect(dataOf(await service.http(ME, {}, { key: apiKey })).me.id).toBe(tenant.userId);
    await adminService.revokeKey(service.db, { key: apiKey });
    const result = await service.http(ME, {}, { key: apiKey });
    expect(errorOf(result)).toMatchObject({ message: "The API key has been revoked.", extensions: { code: "UNAUTHENTICATED" } });
  });

  it("stores only a SHA-256 hash of the key", async () => {
    const rows = await service.db.getRepository(ApiKey).findBy({ userId: tenant.userId });
    for (const row of rows) {
      expect(row.keyHash).toHaveLength(32);
      expect(row.keyHash.toString("utf8")).not.toContain("dg_");
    }
    const expiresInDays = (rows[0].expiresAt.getTime() - rows[0].createdAt.getTime()) / 86_400_000;
    expect(Math.round(expiresInDays)).toBe(90);
  });

  it("works in the workspace named by X-Workspace-Id when the user is a member", async () => {
    const second = await createWorkspace(service.db, tenant.organizationId);
    await adminService.addMember(service.db, { workspace: second, user: tenant.userId });
    const result = await service.http(ME, {}, { key: tenant.apiKey, workspaceId: second });
    expect(dataOf(result).me.workspace.id).toBe(second);
  });

  it("refuses a workspace the user is not a member of with FORBIDDEN", async () => {
    const notMine = await createWorkspace(service.db, tenant.organizationId);
    const other = await createTenant(service.db);
    for (const workspaceId of [notMine, other.workspaceId, "not-a-uuid"]) {
      const result = await service.http(ME, {}, { key: tenant.apiKey, workspaceId });
      expect(result.status).toBe(403);
      expect(errorOf(result).extensions?.code).toBe("FORBIDDEN");
    }
  });

  it("serves the health check without a key", async () => {
    const response = await fetch(service.url.replace("/graphql", "/health"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
