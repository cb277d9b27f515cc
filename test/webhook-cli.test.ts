import { runCli } from "../src/cli";
import { createTenant, TestUser } from "./factories";
import { useTestService } from "./support/harness";

describe("webhooks through the CLI", () => {
  const service = useTestService();
  let me: TestUser;

  beforeAll(async () => {
    me = await createTenant(service.db);
  });

  async function cli(...argv: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await runCli(
      argv,
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
      async () => ({ dataSource: service.db, close: async () => undefined }),
    );
    return { code, stdout, stderr, json: code === 0 ? JSON.parse(stdout) : undefined };
  }

  it("creates an endpoint and prints its secret once, then lists, updates, rolls and deletes it", async () => {
    const created = await cli("create-webhook", "--org", me.organizationId, "--url", "https://hooks.example.com/dealgraph", "--events", "deal.created, deal.stage_changed", "--description", "CRM");
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({
      url: "https://hooks.example.com/dealgraph",
      events: ["deal.created", "deal.stage_changed"],
      description: "CRM",
      enabled: true,
      secret: expect.stringMatching(/^whsec_/),
    });
    const id = created.json.id;

    const listed = await cli("list-webhooks", "--org", me.organizationId);
    expect(listed.json.map((e: { id: string }) => e.id)).toEqual([id]);
    expect(listed.stdout).not.toContain(created.json.secret);
    expect(listed.stdout).not.toContain("secret");

    const updated = await cli("update-webhook", "--org", me.organizationId, "--id", id, "--enabled", "false", "--events", "deal.archived");
    expect(updated.json).toMatchObject({ id, enabled: false, events: ["deal.archived"], description: "CRM" });
    expect(updated.stdout).not.toContain(created.json.secret);

    const rolled = await cli("roll-webhook-secret", "--org", me.organizationId, "--id", id);
    expect(rolled.json.secret).toMatch(/^whsec_/);
    expect(rolled.json.secret).not.toBe(created.json.secret);

    expect((await cli("webhook-deliveries", "--org", me.organizationId, "--id", id)).json).toEqual([]);
    expect((await cli("delete-webhook", "--org", me.organizationId, "--id", id)).json.id).toBe(id);
    expect((await cli("list-webhooks", "--org", me.organizationId)).json).toEqual([]);
  });

  it("refuses bad input by name, and another organization's endpoint as not found", async () => {
    const bad = await cli("create-webhook", "--org", me.organizationId, "--url", "mailto:x@example.com");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("url must be an http or https URL");
    expect(bad.stderr).toContain("events must name at least one kind of event");
    const unknownKind = await cli("create-webhook", "--org", me.organizationId, "--url", "https://example.com", "--events", "deal.deleted");
    expect(unknownKind.stderr).toContain("events must be one of: deal.created");
    const noOrg = await cli("list-webhooks", "--org", "acme");
    expect(noOrg).toMatchObject({ code: 1, stderr: "--org must be an organization id (a UUID)\n" });
    const other = await createTenant(service.db);
    const mine = await cli("create-webhook", "--org", me.organizationId, "--url", "https://example.com", "--events", "deal.created");
    const foreign = await cli("delete-webhook", "--org", other.organizationId, "--id", mine.json.id);
    expect(foreign).toMatchObject({ code: 1, stderr: `Webhook endpoint ${mine.json.id} was not found.\n` });
  });
});
