import { DealEventKind } from "../src/modules/events/deal-event";
import { webhookCommands } from "../src/modules/webhook/webhook.commands";
import { pruneEvents } from "../src/modules/webhook/webhook.worker";
import { createPerson, createTenant, TestUser } from "./factories";
import { dataOf, useTestService } from "./support/harness";

const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id } } }`;

/** Events are kept for EVENT_RETENTION_DAYS, then pruned with their deliveries, unless one is still pending. */
describe("event retention", () => {
  const service = useTestService();
  let me: TestUser;

  beforeAll(async () => {
    me = await createTenant(service.db);
  });

  it("prunes old events whose deliveries are finished, with their deliveries, and keeps pending and recent ones", async () => {
    await webhookCommands.create(service.db.manager, me.organizationId, { url: "http://127.0.0.1:9/never", events: [DealEventKind.DEAL_CREATED] });
    const [seeker, provider] = [await createPerson(service.db, me.organizationId), await createPerson(service.db, me.organizationId)];
    const deal = async () =>
      dataOf(await service.http(CREATE_REFERRAL, { input: { seekerId: seeker.id, providerId: provider.id } }, { key: me.apiKey })).createReferralOpportunity.data.id;
    const [oldDone, oldPending, recentDone] = [await deal(), await deal(), await deal()];
    const eventOf = async (dealId: string) =>
      (await service.db.query(`SELECT id FROM deal_event WHERE organization_id = $1 AND deal_id = $2`, [me.organizationId, dealId]))[0]?.id as string | undefined;
    const ids = { oldDone: (await eventOf(oldDone))!, oldPending: (await eventOf(oldPending))!, recentDone: (await eventOf(recentDone))! };
    await service.db.query(`UPDATE deal_event SET occurred_at = now() - interval '40 days' WHERE id = ANY($1)`, [[ids.oldDone, ids.oldPending]]);
    await service.db.query(`UPDATE webhook_delivery SET status = 'delivered' WHERE event_id = ANY($1)`, [[ids.oldDone, ids.recentDone]]);

    expect(await pruneEvents(service.db, 30)).toBeGreaterThanOrEqual(1);
    const events = await service.db.query(`SELECT id FROM deal_event WHERE id = ANY($1)`, [Object.values(ids)]);
    expect(events.map((e: { id: string }) => e.id).sort()).toEqual([ids.oldPending, ids.recentDone].sort());
    const deliveries = await service.db.query(`SELECT event_id FROM webhook_delivery WHERE event_id = ANY($1)`, [Object.values(ids)]);
    expect(deliveries.map((d: { event_id: string }) => d.event_id).sort()).toEqual([ids.oldPending, ids.recentDone].sort());
    // Nothing left to prune: a second run deletes none of these.
    await pruneEvents(service.db, 30);
    expect(await service.db.query(`SELECT count(*)::int AS n FROM deal_event WHERE id = ANY($1)`, [Object.values(ids)])).toEqual([{ n: 2 }]);
  });
});
