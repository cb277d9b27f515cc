import { ChildProcess } from "node:child_process";
import { createCompany, createPerson, createTenant, TestUser } from "./factories";
import { dataOf, useTestService } from "./support/harness";
import { startReceiver, waitFor } from "./support/receiver";
import { startReplicaProcess, stopProcess } from "./support/replica-process";

const embedded = process.env.DEALGRAPH_TEST_EMBEDDED === "true";

const CREATE_ENDPOINT = `mutation ($url: String!, $events: [DealEventKind!]!) {
  createWebhookEndpoint(url: $url, events: $events) { data { id } } }`;
const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id } } }`;
const UPDATE_REFERRAL = `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) { updateReferralOpportunity(id: $id, input: $input) { data { id } } }`;

/** Settings that make the replicas quick to retry and to take back a dead worker's lease. */
const FAST = { WEBHOOK_POLL_MS: "100", WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_RETRY_MAX_MS: "200", WEBHOOK_TIMEOUT_MS: "1000" };

async function post(url: string, key: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return dataOf({ status: response.status, body: (await response.json()) as any, sql: 0 });
}

// Skipped, saying why, on the embedded database: it serves one connection, so two processes cannot share it.
(embedded ? describe.skip : describe)("webhook delivery across service processes (needs a real PostgreSQL: TEST_DATABASE_URL)", () => {
  // This file's own service only gives the tests a database handle; its worker stays off.
  const service = useTestService();
  const children: ChildProcess[] = [];
  let me: TestUser;
  let seekerId: string;
  let providerId: string;

  beforeAll(async () => {
    me = await createTenant(service.db);
    seekerId = (await createPerson(service.db, me.organizationId, { companyId: (await createCompany(service.db, me.organizationId)).id })).id;
    providerId = (await createPerson(service.db, me.organizationId, { companyId: (await createCompany(service.db, me.organizationId)).id })).id;
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stopProcess(child, "SIGKILL")));
    // Each test's endpoint stops receiving once it is done.
    await service.db.query(`UPDATE webhook_endpoint SET enabled = false WHERE organization_id = $1`, [me.organizationId]);
  });

  const start = async (env: Record<string, string> = {}) => {
    const replica = await startReplicaProcess({ ...FAST, ...env });
    children.push(replica.child);
    return replica;
  };

  it("two replicas on one database deliver each of 200 writes' events exactly once between them", async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const [a, b] = await Promise.all([start(), start()]);
      await post(a.url, me.apiKey, CREATE_ENDPOINT, { url: receiver.url("/replicas"), events: ["DEAL_CREATED", "DEAL_UPDATED"] });
      const deals: string[] = [];
      for (let i = 0; i < 20; i++) {
        deals.push((await post(i % 2 ? a.url : b.url, me.apiKey, CREATE_REFERRAL, { input: { seekerId, providerId } })).createReferralOpportunity.data.id);
      }
      // 20 creates and 180 updates, sent to both replicas, a few at a time.
      const updates = Array.from({ length: 180 }, (_, i) => ({ id: deals[i % 20], name: `Update ${i}`, url: i % 2 ? a.url : b.url }));
      for (let i = 0; i < updates.length; i += 6) {
        await Promise.all(
          updates.slice(i, i + 6).map((u) => post(u.url, me.apiKey, UPDATE_REFERRAL, { id: u.id, input: { name: u.name } })),
        );
      }
      const eventIds: string[] = (
        await service.db.query(`SELECT id FROM deal_event WHERE organization_id = $1 AND deal_id = ANY($2) ORDER BY position`, [me.organizationId, deals])
      ).map((row: { id: string }) => row.id);
      expect(eventIds).toHaveLength(200);
      const deliveries = () =>
        service.db.query(`SELECT status, attempts FROM webhook_delivery WHERE organization_id = $1 AND deal_id = ANY($2)`, [me.organizationId, deals]);
      await waitFor(async () => (await deliveries()).filter((d: { status: string }) => d.status === "delivered").length === 200, "200 deliveries", 60_000);
      // Each delivery was claimed once (a claim counts an attempt), so no replica can still be sending one again.
      expect((await deliveries()).map((d: { attempts: number }) => d.attempts)).toEqual(Array(200).fill(1));
      const keys = receiver.received.map((r) => r.headers["idempotency-key"]);
      expect(keys).toHaveLength(200);
      expect(new Set(keys)).toEqual(new Set(eventIds));
      // Each deal's events arrived in commit order.
      for (const deal of deals) {
        const versions = receiver.received.map((r) => JSON.parse(r.body)).filter((m) => m.dealId === deal).map((m) => m.data.deal.version);
        expect(versions).toEqual([...versions].sort((x, y) => x - y));
      }
    } finally {
      await receiver.close();
    }
  }, 120_000);

  it("a replica killed mid-delivery loses nothing: after a restart the delivery is made", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    // The first POST is held until the service that sent it has been killed.
    const receiver = await startReceiver(() => 200, {
      hold: async () => {
        if (arrived++ === 0) await held;
      },
    });
    try {
      const first = await start();
      await post(first.url, me.apiKey, CREATE_ENDPOINT, { url: receiver.url("/killed"), events: ["DEAL_CREATED", "DEAL_UPDATED"] });
      const deal = (await post(first.url, me.apiKey, CREATE_REFERRAL, { input: { seekerId, providerId } })).createReferralOpportunity.data.id;
      await post(first.url, me.apiKey, UPDATE_REFERRAL, { id: deal, input: { name: "After the kill" } });
      await waitFor(() => arrived === 1, "the first attempt to arrive");
      await stopProcess(first.child, "SIGKILL");
      release();

      await start();
      await waitFor(() => receiver.accepted("/killed").some((m) => m.type === "deal.updated"), "the deliveries after the restart", 30_000);
      // The held attempt answered a dead connection; the restarted replica sends that event again, then the next one.
      expect(receiver.accepted("/killed").map((m) => m.type)).toEqual(["deal.created", "deal.created", "deal.updated"]);
      // The receiver has answered; the replica records the result right after.
      const rows = await waitFor(async () => {
        const found = await service.db.query(`SELECT status, attempts FROM webhook_delivery WHERE deal_id = $1 ORDER BY event_position`, [deal]);
        return found.every((row: { status: string }) => row.status !== "pending") && found;
      }, "the deliveries to be recorded");
      expect(rows).toEqual([
        { status: "delivered", attempts: 2 },
        { status: "delivered", attempts: 1 },
      ]);
    } finally {
      release();
      await receiver.close();
    }
  }, 60_000);
});
