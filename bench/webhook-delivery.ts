import "reflect-metadata";
import http from "node:http";
import { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { createContext } from "../src/core/context/context";
import { createDataSource } from "../src/core/db/data-source";
import { createScratchDatabase } from "../src/core/db/scratch-database";
import { adminService } from "../src/modules/admin/admin.service";
import { DealEventKind } from "../src/modules/events/deal-event";
import { Person, PersonType } from "../src/modules/person/person.entity";
import { insertRow } from "../src/core/db/insert";
import { referralCommands } from "../src/modules/referral/referral.commands";
import { webhookCommands, webhookUrlPolicy } from "../src/modules/webhook/webhook.commands";
import { startWebhookWorker } from "../src/modules/webhook/webhook.worker";

const USAGE = `Usage: DATABASE_URL=postgres://… npm run bench:webhooks [-- --events N] [--keep]

The webhook worker's delivery throughput: makes N deals (one deal.created event each, one
delivery each to a local receiver that answers 204), then starts one worker, as a service process
runs it, and times it until the receiver has every delivery. Prints deliveries per second and the
worker's CPU time per delivery; drops its database (dealgraph_webhooks_…) at the end.

  --events N  how many deliveries (default 2000)
  --keep      keep the database (its name is printed)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { events: { type: "string", default: "2000" }, keep: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error(`DATABASE_URL is required.\n\n${USAGE}`);
  const count = Number(values.events);
  if (!Number.isInteger(count) || count < 1) throw new Error("--events takes a whole number of 1 or more");

  const database = await createScratchDatabase(serverUrl, "dealgraph_webhooks");
  const db = createDataSource({ url: database.url, poolMax: 4 });
  await db.initialize();
  let received = 0;
  let done: () => void = () => {};
  const allReceived = new Promise<void>((resolve) => (done = resolve));
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(204).end();
      if (++received === count) done();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  try {
    const tenant = await adminService.bootstrap(db, { org: "Webhook bench", workspace: "Main", email: "bench@example.com", firstName: "B", lastName: "Ench" });
    const viewer = { organizationId: tenant.organizationId, userId: tenant.userId, workspaceId: tenant.workspaceId, workspaceIds: [tenant.workspaceId] };
    const person = () => insertRow(db.manager, Person, { organizationId: tenant.organizationId, type: PersonType.CONTACT, firstName: "P", lastName: "Q" });
    const [seeker, provider] = [await person(), await person()];
    webhookUrlPolicy.allowPrivate = true;
    const { port } = receiver.address() as AddressInfo;
    await webhookCommands.create(db.manager, tenant.organizationId, { url: `http://127.0.0.1:${port}/hook`, events: Object.values(DealEventKind) });

    const ctx = createContext(db, viewer);
    const madeAt = performance.now();
    for (let i = 0; i < count; i++) await referralCommands.create(ctx, { seekerId: seeker.id, providerId: provider.id, name: `Deal ${i}` });
    console.error(`made ${count} deals (and their deliveries) in ${((performance.now() - madeAt) / 1000).toFixed(1)} s`);

    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const worker = startWebhookWorker(db, { ...loadConfig({}).webhooks, worker: true, pollMs: 50 });
    await allReceived;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    await worker.stop();
    const [{ delivered }] = await db.query(`SELECT count(*) FILTER (WHERE status = 'delivered')::int AS delivered FROM webhook_delivery`);
    // The receiver runs in this process too: its share of the CPU is in the figure (an upper bound).
    const cpuMsPerDelivery = (cpu.user + cpu.system) / 1000 / count;
    console.log(
      JSON.stringify({ deliveries: count, receivedByReceiver: received, markedDelivered: delivered, seconds: Number(seconds.toFixed(2)),
        deliveriesPerSecond: Math.round(count / seconds), cpuMsPerDelivery: Number(cpuMsPerDelivery.toFixed(2)) }, null, 2),
    );
    return delivered === count ? 0 : 1;
  } finally {
    receiver.close();
    await db.destroy();
    if (values.keep) console.error(`kept database ${database.name}`);
    else await database.drop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
