import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { runCli } from "../src/cli";
import { migrations } from "../src/core/db/migrations";
import { Organization } from "../src/modules/organization/organization.entity";
import { dataOf, errorOf, useTestService } from "./support/harness";

const run = promisify(execFile);

describe("admin CLI", () => {
  const service = useTestService();

  /** Runs a command in-process against the test database and returns its exit code and output. */
  async function cli(...argv: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await runCli(
      argv,
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
      async () => ({ dataSource: service.db, close: async () => undefined }),
    );
    return { code, stdout, stderr, json: stdout.startsWith("{") ? JSON.parse(stdout) : undefined };
  }

  const me = (key: string, workspaceId?: string) =>
    service.http(`{ me { user { id email firstName lastName } workspace { id name } organization { id name } } }`, {}, { key, workspaceId });

  it("bootstraps an organization, workspace, user and a working key", async () => {
    const out = await cli("bootstrap", "--org", "Cli Org", "--workspace", "Sales", "--email", "Ann@Example.com", "--first-name", "Ann", "--last-name", "Admin");
    expect(out.code).toBe(0);
    expect(Object.keys(out.json).sort()).toEqual(["apiKey", "organizationId", "userId", "workspaceId"]);
    expect(out.json.apiKey).toMatch(/^dg_[A-Za-z0-9_-]{43}$/);
    const { me: viewer } = dataOf(await me(out.json.apiKey));
    expect(viewer).toEqual({
      user: { id: out.json.userId, email: "ann@example.com", firstName: "Ann", lastName: "Admin" },
      workspace: { id: out.json.workspaceId, name: "Sales" },
      organization: { id: out.json.organizationId, name: "Cli Org" },
    });
  });

  it("creates workspaces, users, memberships and keys, and revokes keys", async () => {
    const org = (await cli("bootstrap", "--org", "Acme", "--workspace", "One", "--email", "a@acme.example", "--first-name", "A", "--last-name", "A")).json;
    const two = await cli("create-workspace", "--org", org.organizationId, "--name", "Two");
    expect(two.code).toBe(0);
    const user = await cli("create-user", "--org", org.organizationId, "--workspace", org.workspaceId, "--email", "b@acme.example", "--first-name", "B", "--last-name", "B");
    expect(user.code).toBe(0);
    expect(user.json).toMatchObject({ organizationId: org.organizationId, workspaceId: org.workspaceId });

    const key = await cli("create-key", "--user", user.json.userId, "--days", "7");
    expect(key.code).toBe(0);
    const days = (Date.parse(key.json.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    expect(dataOf(await me(key.json.apiKey)).me.workspace.id).toBe(org.workspaceId);

    // Not yet a member of Two: the header is refused until add-member.
    expect(errorOf(await me(key.json.apiKey, two.json.workspaceId)).extensions?.code).toBe("FORBIDDEN");
    const member = await cli("add-member", "--workspace", two.json.workspaceId, "--user", user.json.userId);
    expect(member.code).toBe(0);
    expect(dataOf(await me(key.json.apiKey, two.json.workspaceId)).me.workspace.name).toBe("Two");

    const again = await cli("add-member", "--workspace", two.json.workspaceId, "--user", user.json.userId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already a member");

    const revoked = await cli("revoke-key", "--key", key.json.apiKey);
    expect(revoked.code).toBe(0);
    expect(errorOf(await me(key.json.apiKey)).extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("names every bad option at once and writes nothing", async () => {
    const before = await service.db.getRepository(Organization).count();
    const out = await cli("bootstrap", "--org", " ", "--workspace", "W", "--email", "not-an-email", "--first-name", "F");
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("--org is required");
    expect(out.stderr).toContain("--email must be an email address");
    expect(out.stderr).toContain("--last-name is required");
    expect(out.stdout).toBe("");
    expect(await service.db.getRepository(Organization).count()).toBe(before);
  });

  it("refuses ids that do not exist, and users of another organization", async () => {
    const a = (await cli("bootstrap", "--org", "A", "--workspace", "W", "--email", "x@a.example", "--first-name", "X", "--last-name", "X")).json;
    const b = (await cli("bootstrap", "--org", "B", "--workspace", "W", "--email", "y@b.example", "--first-name", "Y", "--last-name", "Y")).json;
    const foreign = await cli("add-member", "--workspace", a.workspaceId, "--user", b.userId);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain(`User ${b.userId} was not found`);
    const mismatch = await cli("create-user", "--org", a.organizationId, "--workspace", b.workspaceId, "--email", "z@a.example", "--first-name", "Z", "--last-name", "Z");
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain("was not found");
    const missingKey = await cli("revoke-key", "--key", "dg_" + "A".repeat(43));
    expect(missingKey.code).toBe(1);
    const badDays = await cli("create-key", "--user", a.userId, "--days", "0");
    expect(badDays.code).toBe(1);
    expect(badDays.stderr).toContain("--days");
  });

  it("refuses a second user with the same email in an organization", async () => {
    const org = (await cli("bootstrap", "--org", "Dup", "--workspace", "W", "--email", "dup@example.com", "--first-name", "D", "--last-name", "D")).json;
    const out = await cli("create-user", "--org", org.organizationId, "--workspace", org.workspaceId, "--email", "DUP@example.com", "--first-name", "E", "--last-name", "E");
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("already exists");
  });

  it("explains its usage on unknown commands and options", async () => {
    expect((await cli("frobnicate")).code).toBe(2);
    const unknownFlag = await cli("bootstrap", "--colour", "blue");
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("Usage:");
    expect((await cli("--help")).stdout).toContain("bootstrap");
  });

  it("refuses a flag its command does not take, naming it", async () => {
    const out = await cli("create-key", "--user", "00000000-0000-4000-8000-000000000000", "--org", "x");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("create-key does not take --org");
    const listing = await cli("list-organizations", "--name", "Acme");
    expect(listing.code).toBe(2);
    expect(listing.stderr).toContain("list-organizations does not take --name");
  });

  it("lists organizations, workspaces, users and keys, never printing a key", async () => {
    const org = (await cli("bootstrap", "--org", "Listed", "--workspace", "Alpha", "--email", "l@listed.example", "--first-name", "Lee", "--last-name", "L")).json;
    const beta = (await cli("create-workspace", "--org", org.organizationId, "--name", "Beta")).json;
    const second = (await cli("create-key", "--user", org.userId, "--days", "5")).json;
    await cli("revoke-key", "--key", org.apiKey);

    const orgs = await cli("list-organizations");
    expect(orgs.code).toBe(0);
    expect(JSON.parse(orgs.stdout)).toContainEqual(expect.objectContaining({ id: org.organizationId, name: "Listed", workspaces: 2, users: 1 }));

    const workspaces = JSON.parse((await cli("list-workspaces", "--org", org.organizationId)).stdout);
    expect(workspaces.map((w: any) => [w.id, w.name, w.members])).toEqual([
      [org.workspaceId, "Alpha", 1],
      [beta.workspaceId, "Beta", 0],
    ]);

    const users = JSON.parse((await cli("list-users", "--org", org.organizationId)).stdout);
    expect(users).toEqual([
      expect.objectContaining({ id: org.userId, email: "l@listed.example", firstName: "Lee", defaultWorkspaceId: org.workspaceId, workspaceIds: [org.workspaceId] }),
    ]);

    for (const args of [["--org", org.organizationId], ["--user", org.userId]]) {
      const keys = await cli("list-keys", ...args);
      expect(keys.code).toBe(0);
      expect(keys.stdout).not.toContain(org.apiKey);
      expect(keys.stdout).not.toContain(second.apiKey);
      expect(JSON.parse(keys.stdout).map((k: any) => [k.prefix, k.status])).toEqual([
        [org.apiKey.slice(0, 11), "revoked"],
        [second.apiKey.slice(0, 11), "active"],
      ]);
    }
    const bad = await cli("list-users", "--org", "nope");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--org must be a UUID");
  });

  it("runs as a program on its own embedded database: migrates it alone, then bootstraps, printing JSON", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dealgraph-cli-"));
    try {
      const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "" };
      const migrated = JSON.parse((await run(process.execPath, ["dist/src/cli.js", "migrate"], { env })).stdout);
      expect(migrated.applied).toEqual(migrations.map((m) => m.name));
      const again = JSON.parse((await run(process.execPath, ["dist/src/cli.js", "migrate"], { env })).stdout);
      expect(again).toEqual({ applied: [] });
      const { stdout } = await run(
        process.execPath,
        ["dist/src/cli.js", "bootstrap", "--org", "Solo", "--workspace", "W", "--email", "s@solo.example", "--first-name", "S", "--last-name", "S"],
        { env },
      );
      expect(JSON.parse(stdout)).toMatchObject({ apiKey: expect.stringMatching(/^dg_/) });
      expect(fs.existsSync(path.join(dataDir, "embedded.lock"))).toBe(false);
      const failed = await run(process.execPath, ["dist/src/cli.js", "create-key", "--user", "nope"], { env }).catch((e) => e);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("--user must be a UUID");
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
