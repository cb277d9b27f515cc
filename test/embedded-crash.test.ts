import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { exited, startServiceProcess } from "./support/service-process";

async function graphql(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

const CREATE = `mutation ($name: String!) { createCompany(input: { name: $name }) { data { id name } } }`;

describe("embedded database: kill -9 during writes", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dealgraph-crash-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("restarts without a lock refusal and keeps every acknowledged write", async () => {
    const first = startServiceProcess(dataDir);
    const { url, key } = await first.ready;
    // Private to its owner, and the database is on a Unix socket in it, not on a TCP port.
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(dataDir)).toEqual(expect.arrayContaining([".s.PGSQL.5432", "embedded.lock"]));

    // A second process on the live folder is refused, and leaves the first one's lock alone.
    const intruder = startServiceProcess(dataDir);
    await expect(intruder.ready).rejects.toThrow("is in use by another process");
    expect(fs.readdirSync(dataDir)).toContain("embedded.lock");

    // Four writers in a loop; the process is killed while writes are in flight.
    const acknowledged: string[] = [];
    let killed = false;
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const name = `Crash ${w}-${i}`;
        const result = await graphql(url, key, CREATE, { name }).catch(() => null);
        if (result?.body.data?.createCompany?.data?.name === name) acknowledged.push(name);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 40) await new Promise((resolve) => setTimeout(resolve, 20));
    first.child.kill("SIGKILL");
    killed = true;
    await exited(first.child);
    await Promise.all(writers);

    const second = startServiceProcess(dataDir);
    const again = await second.ready; // the first process's lock does not refuse the start
    expect(second.output()).not.toContain("in use");
    const stored = await graphql(again.url, again.key, `{ companies(first: 100, filter: { search: "Crash" }) { totalCount edges { node { name } } } }`);
    const names = new Set((stored.body.data.companies.edges as Array<{ node: { name: string } }>).map((e) => e.node.name));
    expect(acknowledged.filter((name) => !names.has(name))).toEqual([]);
    // Nothing half-written either: a company is there whole (its name) or not at all.
    expect(stored.body.data.companies.totalCount).toBeGreaterThanOrEqual(acknowledged.length);
    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
  }, 120_000);
});
