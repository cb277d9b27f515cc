import { runCli } from "../src/cli";
import { OrganizationAdmin1764460800000 } from "../src/core/db/migrations/1764460800000-organization-admin";
import { createPerson, createTenant, createUser, TestUser } from "./factories";
import { dataOf, errorOf, useTestService } from "./support/harness";

const ENDPOINTS = `query Endpoints { webhookEndpoints { id url } }`;
const CREATE_ENDPOINT = `mutation Create($url: String!) { createWebhookEndpoint(url: $url, events: [DEAL_CREATED]) { success data { id } secret } }`;
const MY_ROLE = `query Me { me { id user { id role } } }`;

/** Organization roles: only an admin sees and manages the webhook endpoints, which receive every deal. */
describe("organization roles", () => {
  const service = useTestService();
  let admin: TestUser;
  let member: TestUser;

  beforeAll(async () => {
    admin = await createTenant(service.db);
    member = await createUser(service.db, admin.organizationId, admin.workspaceId);
  });

  async function cli(...argv: string[]) {
    let stdout = "";
    const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: () => undefined }, async () => ({ dataSource: service.db, close: async () => undefined }));
    return { code, json: stdout.startsWith("{") ? JSON.parse(stdout) : undefined };
  }

  it("makes the bootstrap user an admin and every other user a member; contacts have no role", async () => {
    expect(dataOf(await service.http(MY_ROLE, {}, { key: admin.apiKey })).me.user.role).toBe("ADMIN");
    expect(dataOf(await service.http(MY_ROLE, {}, { key: member.apiKey })).me.user.role).toBe("MEMBER");
    const contact = await createPerson(service.db, admin.organizationId);
    const [row] = await service.db.query(`SELECT role FROM person WHERE id = $1`, [contact.id]);
    expect(row.role).toBeNull();
  });

  it("refuses webhook endpoints to a member with FORBIDDEN, and writes nothing", async () => {
    for (const result of [
      await service.http(ENDPOINTS, {}, { key: member.apiKey }),
      await service.http(CREATE_ENDPOINT, { url: "http://127.0.0.1:9/hook" }, { key: member.apiKey }),
    ]) {
      expect(errorOf(result).extensions!.code).toBe("FORBIDDEN");
    }
    const [{ n }] = await service.db.query(`SELECT count(*)::int AS n FROM webhook_endpoint WHERE organization_id = $1`, [admin.organizationId]);
    expect(n).toBe(0);
    expect(dataOf(await service.http(CREATE_ENDPOINT, { url: "http://127.0.0.1:9/hook" }, { key: admin.apiKey })).createWebhookEndpoint.success).toBe(true);
  });

  it("lets the CLI make a member an admin, and back", async () => {
    const granted = await cli("set-role", "--user", member.userId, "--role", "admin");
    expect(granted).toMatchObject({ code: 0, json: { userId: member.userId, role: "admin" } });
    expect(dataOf(await service.http(ENDPOINTS, {}, { key: member.apiKey })).webhookEndpoints).toHaveLength(1);
    expect((await cli("set-role", "--user", member.userId, "--role", "member")).code).toBe(0);
    expect(errorOf(await service.http(ENDPOINTS, {}, { key: member.apiKey })).extensions!.code).toBe("FORBIDDEN");
    expect((await cli("set-role", "--user", member.userId, "--role", "owner")).code).not.toBe(0);
  });

  it("gives existing organizations their first user as admin when it migrates", async () => {
    const runner = service.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const migration = new OrganizationAdmin1764460800000();
      await migration.down(runner);
      await migration.up(runner);
      const rows = await runner.query(`SELECT id, role FROM person WHERE organization_id = $1 AND type = 'USER' ORDER BY created_at`, [admin.organizationId]);
      expect(rows).toEqual([
        { id: admin.userId, role: "admin" },
        { id: member.userId, role: "member" },
      ]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
