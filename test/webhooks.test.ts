import { webhookUrlPolicy } from "../src/modules/webhook/webhook.commands";
import { verifySignature } from "../src/modules/webhook/webhook.signature";
import { Pipeline } from "../src/modules/stage/stage.entity";
import { createCompany, createPerson, createTenant, stageId, TestUser } from "./factories";
import { startReceiver, waitFor } from "./support/receiver";
import { dataOf, errorOf, fieldPaths, useTestService } from "./support/harness";

const CREATE_ENDPOINT = `mutation ($url: String!, $events: [DealEventKind!]!, $description: String) {
  createWebhookEndpoint(url: $url, events: $events, description: $description) {
    success secret data { id url events description enabled disabledReason failingSince createdAt } } }`;
const UPDATE_ENDPOINT = `mutation ($id: ID!, $url: String, $events: [DealEventKind!], $description: String, $enabled: Boolean) {
  updateWebhookEndpoint(id: $id, url: $url, events: $events, description: $description, enabled: $enabled) {
    data { id url events description enabled disabledReason } } }`;
const DELETE_ENDPOINT = `mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { data { id } } }`;
const ROLL = `mutation ($id: ID!) { rollWebhookSecret(id: $id) { secret data { id } } }`;
const ENDPOINTS = `{ webhookEndpoints { id url events enabled disabledReason } }`;
const DELIVERIES = `query ($id: ID!) { webhookDeliveries(endpointId: $id) {
  id eventId eventKind dealId status attemptCount nextAttempt lastResponseCode lastError completedAt
  attempts { succeeded responseCode error durationMs nextAttemptAt attemptedAt } } }`;
const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id version } } }`;
const UPDATE_REFERRAL = `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) {
  updateReferralOpportunity(id: $id, input: $input) { data { id version } } }`;
const MOVE = `mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { data { id version } } }`;

describe("webhooks", () => {
  const service = useTestService({ webhooks: { worker: true, retryBaseMs: 40, retryMaxMs: 200, pollMs: 100, timeoutMs: 2_000 } });
  let me: TestUser;
  let outsider: TestUser;
  let seekerId: string;
  let providerId: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    me = await createTenant(service.db);
    outsider = await createTenant(service.db);
    seekerId = (await createPerson(service.db, me.organizationId, { companyId: (await createCompany(service.db, me.organizationId)).id })).id;
    providerId = (await createPerson(service.db, me.organizationId, { companyId: (await createCompany(service.db, me.organizationId)).id })).id;
    // /flaky fails each event's first two attempts; /down… always fails; /first-fails fails deal.created once.
    receiver = await startReceiver(({ path, tries, body }) => {
      if (path === "/flaky") return tries < 2 ? 500 : 200;
      if (path.startsWith("/down")) return 503;
      if (path === "/first-fails") return JSON.parse(body).type === "deal.created" && tries === 0 ? 500 : 204;
      return 200;
    });
  });
  afterAll(() => receiver?.close());

  const call = async (query: string, variables: Record<string, unknown> = {}, key = me.apiKey) =>
    dataOf(await service.http(query, variables, { key }));
  const endpoint = async (path: string, events = ["DEAL_CREATED", "DEAL_UPDATED", "DEAL_STAGE_CHANGED"]) =>
    (await call(CREATE_ENDPOINT, { url: receiver.url(path), events })).createWebhookEndpoint;
  const referral = async () => (await call(CREATE_REFERRAL, { input: { seekerId, providerId } })).createReferralOpportunity.data;
  const deliveries = async (id: string) => (await call(DELIVERIES, { id })).webhookDeliveries;
  /** Endpoints are per organization: turn off the ones a finished test made, so later tests' deliveries go only where they expect. */
  const off = (id: string) => call(UPDATE_ENDPOINT, { id, enabled: false });

  describe("endpoints", () => {
    it("answers the secret once, at creation, and lists the endpoint without it", async () => {
      const created = await endpoint("/manage", ["DEAL_CREATED"]);
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(created.data).toMatchObject({ url: receiver.url("/manage"), events: ["DEAL_CREATED"], enabled: true, disabledReason: null });
      const listed = (await call(ENDPOINTS)).webhookEndpoints;
      expect(listed).toContainEqual({ id: created.data.id, url: receiver.url("/manage"), events: ["DEAL_CREATED"], enabled: true, disabledReason: null });
      expect(JSON.stringify(listed)).not.toContain(created.secret);
      const stored = (await service.db.query(`SELECT secret FROM webhook_endpoint WHERE id = $1`, [created.data.id]))[0];
      expect(stored.secret).toBe(created.secret);
      await off(created.data.id);
    });

    it("updates what the arguments name, rolls the secret and deletes", async () => {
      const created = await endpoint("/manage", ["DEAL_CREATED"]);
      const updated = (await call(UPDATE_ENDPOINT, { id: created.data.id, events: ["DEAL_ARCHIVED"], description: "CRM sync", enabled: false }))
        .updateWebhookEndpoint.data;
      expect(updated).toMatchObject({ url: receiver.url("/manage"), events: ["DEAL_ARCHIVED"], description: "CRM sync", enabled: false });
      const rolled = (await call(ROLL, { id: created.data.id })).rollWebhookSecret;
      expect(rolled.secret).not.toBe(created.secret);
      expect((await service.db.query(`SELECT secret FROM webhook_endpoint WHERE id = $1`, [created.data.id]))[0].secret).toBe(rolled.secret);
      expect((await call(DELETE_ENDPOINT, { id: created.data.id })).deleteWebhookEndpoint.data.id).toBe(created.data.id);
      expect((await call(ENDPOINTS)).webhookEndpoints.map((e: { id: string }) => e.id)).not.toContain(created.data.id);
    });

    it("refuses a URL that is not http(s), and names the field", async () => {
      const result = await service.http(CREATE_ENDPOINT, { url: "ftp://example.com/hook", events: ["DEAL_CREATED"] }, { key: me.apiKey });
      expect(fieldPaths(result)).toEqual(["url"]);
      const empty = await service.http(CREATE_ENDPOINT, { url: "https://example.com/hook", events: [] }, { key: me.apiKey });
      expect(fieldPaths(empty)).toEqual(["events"]);
    });

    it("refuses private and loopback addresses unless they are allowed", async () => {
      webhookUrlPolicy.allowPrivate = false;
      try {
        for (const url of ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://[::1]/hook", "http://169.254.169.254/"]) {
          const result = await service.http(CREATE_ENDPOINT, { url, events: ["DEAL_CREATED"] }, { key: me.apiKey });
          expect(errorOf(result).extensions!.fields).toEqual([
            { path: "url", message: expect.stringContaining("private or loopback"), constraint: "isWebhookUrl" },
          ]);
        }
      } finally {
        webhookUrlPolicy.allowPrivate = true;
      }
    });

    it("keeps each organization's endpoints to itself", async () => {
      const created = await endpoint("/manage", ["DEAL_CREATED"]);
      await off(created.data.id);
      expect((await call(ENDPOINTS, {}, outsider.apiKey)).webhookEndpoints).toEqual([]);
      for (const query of [UPDATE_ENDPOINT, DELETE_ENDPOINT, ROLL]) {
        expect(errorOf(await service.http(query, { id: created.data.id }, { key: outsider.apiKey })).extensions!.code).toBe("NOT_FOUND");
      }
      expect(errorOf(await service.http(DELIVERIES, { id: created.data.id }, { key: outsider.apiKey })).extensions!.code).toBe("NOT_FOUND");
    });
  });

  describe("delivery", () => {
    it("retries an endpoint that fails twice, then delivers the event signed, with every attempt recorded", async () => {
      const { secret, data } = await endpoint("/flaky", ["DEAL_CREATED"]);
      const deal = await referral();
      const ofDeal = () => receiver.accepted("/flaky").filter((m) => m.dealId === deal.id);
      await waitFor(() => ofDeal().length === 1, "the delivery");
      const [message] = ofDeal();
      expect(message).toMatchObject({ type: "deal.created", dealId: deal.id, organizationId: me.organizationId, actorId: me.userId });
      expect(message.data.deal).toMatchObject({ id: deal.id, version: 1, visibilityMode: "WORKSPACE_LOCAL", stage: { key: "lead" } });
      const posts = receiver.received.filter((r) => r.path === "/flaky" && JSON.parse(r.body).dealId === deal.id);
      expect(posts.map((p) => p.answered)).toEqual([500, 500, 200]);
      for (const post of posts) {
        expect(verifySignature(secret, post.body, post.headers["dealgraph-signature"] as string)).toBe(true);
        expect(verifySignature("whsec_wrong", post.body, post.headers["dealgraph-signature"] as string)).toBe(false);
        expect(post.headers["idempotency-key"]).toBe(message.id);
        expect(post.headers["content-type"]).toBe("application/json");
        // The same event is the same body at every attempt.
        expect(post.body).toBe(posts[0].body);
      }
      const [delivery] = await waitFor(async () => {
        const list = await deliveries(data.id);
        return list[0]?.status === "DELIVERED" && list;
      }, "the delivery to be recorded");
      expect(delivery).toMatchObject({ eventId: message.id, eventKind: "DEAL_CREATED", dealId: deal.id, attemptCount: 3, nextAttempt: null, lastResponseCode: 200, lastError: null });
      expect(delivery.attempts.map((a: any) => [a.succeeded, a.responseCode, a.error])).toEqual([
        [false, 500, "answered HTTP 500"],
        [false, 500, "answered HTTP 500"],
        [true, 200, null],
      ]);
      expect(delivery.attempts[0].nextAttemptAt).not.toBeNull();
      expect(delivery.attempts[2].nextAttemptAt).toBeNull();
      await off(data.id);
    });

    it("delivers a deal's events in commit order: a later event waits for an earlier one's retries", async () => {
      const { data } = await endpoint("/first-fails");
      const deal = await referral();
      await call(UPDATE_REFERRAL, { id: deal.id, input: { name: "Second" } });
      await call(MOVE, { id: deal.id, stageId: await stageId(service.db, me.organizationId, Pipeline.REFERRAL, "introduced") });
      await call(UPDATE_REFERRAL, { id: deal.id, input: { name: "Fourth" } });
      const ofDeal = () => receiver.received.filter((r) => r.path === "/first-fails" && JSON.parse(r.body).dealId === deal.id);
      await waitFor(() => ofDeal().filter((r) => r.answered < 300).length === 4, "four deliveries");
      expect(ofDeal().map((r) => [JSON.parse(r.body).type, r.answered])).toEqual([
        ["deal.created", 500],
        ["deal.created", 204],
        ["deal.updated", 204],
        ["deal.stage_changed", 204],
        ["deal.updated", 204],
      ]);
      expect(ofDeal().slice(1).map((r) => JSON.parse(r.body).data.deal.version)).toEqual([1, 2, 3, 4]);
      await off(data.id);
    });

    it("sends nothing for a write that rolled back", async () => {
      const { data } = await endpoint("/rollback", ["DEAL_UPDATED"]);
      const deal = await referral();
      await service.db.query(`
        CREATE OR REPLACE FUNCTION fail_webhook_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
      await service.db.query(`
        CREATE CONSTRAINT TRIGGER fail_webhook_write AFTER INSERT ON webhook_delivery
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.deal_id = '${deal.id}') EXECUTE FUNCTION fail_webhook_write()`);
      const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        const failed = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { name: "Rolled back" } }, { key: me.apiKey });
        expect(errorOf(failed).extensions!.code).toBe("INTERNAL_SERVER_ERROR");
      } finally {
        spy.mockRestore();
        await service.db.query(`DROP TRIGGER fail_webhook_write ON webhook_delivery`);
        await service.db.query(`DROP FUNCTION fail_webhook_write`);
      }
      // A committed write after it: once its event has arrived, the rolled-back one would have too.
      await call(UPDATE_REFERRAL, { id: deal.id, input: { name: "Committed" } });
      // Events of one deal go out in commit order: the rolled-back one, had it existed, would have come first.
      await waitFor(() => receiver.accepted("/rollback").some((m) => m.dealId === deal.id), "the committed write's delivery");
      expect(receiver.received.filter((r) => r.path === "/rollback").map((r) => JSON.parse(r.body).data.deal.name)).toEqual(["Committed"]);
      expect((await deliveries(data.id)).map((d: any) => d.dealId)).toEqual([deal.id]);
      await off(data.id);
    });

    it("gives a delivery up once its retry window has passed", async () => {
      const { data } = await endpoint("/down-window", ["DEAL_CREATED"]);
      const deal = await referral();
      await waitFor(async () => (await deliveries(data.id))[0]?.attemptCount >= 2, "two failed attempts");
      // As if the event were 25 hours old: the next failure is the last.
      await service.db.query(`UPDATE webhook_delivery SET created_at = now() - interval '25 hours' WHERE endpoint_id = $1`, [data.id]);
      const [failed] = await waitFor(async () => {
        const list = await deliveries(data.id);
        return list[0]?.status === "FAILED" && list;
      }, "the delivery to fail");
      expect(failed).toMatchObject({ dealId: deal.id, nextAttempt: null, lastResponseCode: 503, lastError: "answered HTTP 503" });
      expect(failed.completedAt).not.toBeNull();
      expect(failed.attempts.at(-1)).toMatchObject({ succeeded: false, responseCode: 503, nextAttemptAt: null });
      const [state] = (await call(ENDPOINTS)).webhookEndpoints.filter((e: { id: string }) => e.id === data.id);
      expect(state).toMatchObject({ enabled: true, disabledReason: null });
      await off(data.id);
    });

    it("turns off an endpoint that has failed every delivery for 3 days, and says so", async () => {
      const { data } = await endpoint("/down-days", ["DEAL_CREATED"]);
      await referral();
      await waitFor(async () => (await deliveries(data.id))[0]?.attemptCount >= 1, "a failed attempt");
      // As if it had been failing for 73 hours: the next failure turns it off.
      await service.db.query(`UPDATE webhook_endpoint SET failing_since = now() - interval '73 hours' WHERE id = $1`, [data.id]);
      const state = await waitFor(async () => {
        const [found] = (await call(ENDPOINTS)).webhookEndpoints.filter((e: { id: string }) => e.id === data.id);
        return !found.enabled && found;
      }, "the endpoint to be turned off");
      expect(state.disabledReason).toMatch(/^Turned off: every delivery failed since \d{4}-\d\d-\d\dT/);
      // Its delivery waits, pending, for the endpoint to be turned on again, which starts it afresh.
      expect((await deliveries(data.id))[0].status).toBe("PENDING");
      const again = (await call(UPDATE_ENDPOINT, { id: data.id, enabled: true })).updateWebhookEndpoint.data;
      expect(again).toMatchObject({ enabled: true, disabledReason: null });
      await off(data.id);
    });
  });
});
