import { Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { adminService } from "../src/modules/admin/admin.service";
import { dealEventSubscriptions } from "../src/modules/events/deal-event.resolver";
import { createCompany, createPerson, createTenant, createUser, createWorkspace, TestUser } from "./factories";
import { dataOf, useTestService } from "./support/harness";
import { waitFor } from "./support/receiver";
import { startReplicaProcess, stopProcess } from "./support/replica-process";

const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id } } }`;
const UPDATE_REFERRAL = `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) { updateReferralOpportunity(id: $id, input: $input) { data { id } } }`;
const CREATE_OPPORTUNITY = `mutation ($input: CreateOpportunityInput!) { createOpportunity(input: $input) { data { id } } }`;
const SHARE = `mutation ($id: ID!, $w: ID!) { shareDeal(dealId: $id, workspaceId: $w) { data { id } } }`;
const UNSHARE = `mutation ($id: ID!, $w: ID!) { unshareDeal(dealId: $id, workspaceId: $w) { data { id } } }`;
const DEAL_EVENTS = `subscription ($pipeline: Pipeline, $dealId: ID) {
  dealEvents(pipeline: $pipeline, dealId: $dealId) {
    id kind occurredAt changedFields actor { id } workspace { id }
    deal { __typename id name version visibilityMode stage { key } ... on ReferralOpportunity { expectedValue seeker { id } } }
  } }`;

interface Received {
  id: string;
  kind: string;
  changedFields: string[] | null;
  actor: { id: string };
  workspace: { id: string } | null;
  deal: { id: string; name: string; version: number; visibilityMode: string; stage: { key: string }; seeker?: { id: string } };
}

describe("dealEvents subscriptions over graphql-ws", () => {
  const service = useTestService();
  const clients: Client[] = [];
  let me: TestUser;
  let stranger: TestUser; // same organization, another workspace
  let outsider: TestUser; // another organization
  let strangerWorkspace: string;
  let people: Record<string, { seekerId: string; providerId: string }>;

  beforeAll(async () => {
    me = await createTenant(service.db);
    strangerWorkspace = await createWorkspace(service.db, me.organizationId);
    stranger = await createUser(service.db, me.organizationId, strangerWorkspace);
    outsider = await createTenant(service.db);
    people = {};
    for (const user of [me, outsider]) {
      const seekerId = (await createPerson(service.db, user.organizationId, { companyId: (await createCompany(service.db, user.organizationId)).id })).id;
      const providerId = (await createPerson(service.db, user.organizationId, { companyId: (await createCompany(service.db, user.organizationId)).id })).id;
      people[user.organizationId] = { seekerId, providerId };
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
  });

  const wsUrl = () => service.url.replace(/^http/, "ws");
  /** Whether the hub still holds a subscription of this user. */
  const hubHas = (userId: string) =>
    [...((dealEventSubscriptions.hub as any).subscribers.get(me.organizationId) ?? [])].some((s: any) => s.viewer.userId === userId);
  const call = async (query: string, variables: Record<string, unknown>, user = me) => dataOf(await service.http(query, variables, { key: user.apiKey }));
  const referral = async (user = me) =>
    (await call(CREATE_REFERRAL, { input: people[user.organizationId] }, user)).createReferralOpportunity.data.id as string;

  /** A subscription of `user`'s: what it receives, and a promise that it is running on the server. */
  async function subscribe(user: TestUser, variables: Record<string, unknown> = {}) {
    const received: Received[] = [];
    const errors: unknown[] = [];
    // No retries: when the service stops at the end of the file, the client just ends.
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${user.apiKey}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
    });
    clients.push(client);
    const before = dealEventSubscriptions.hub!.size;
    client.subscribe<{ dealEvents: Received }>(
      { query: DEAL_EVENTS, variables },
      { next: (result) => (result.errors ? errors.push(result.errors) : received.push(result.data!.dealEvents)), error: (e) => errors.push(e), complete: () => undefined },
    );
    // Subscribed once the server's hub counts it: events committed from now on reach it.
    await waitFor(() => dealEventSubscriptions.hub!.size > before, "the subscription to start");
    return { received, errors, ofDeal: (id: string) => received.filter((e) => e.deal.id === id).map((e) => e.kind) };
  }

  it("sends each subscriber the events of deals it can see at that moment, and nothing of another workspace's local deals or another organization", async () => {
    const mine = await subscribe(me);
    const theirs = await subscribe(stranger);
    const foreign = await subscribe(outsider);

    const local = await referral(); // WORKSPACE_LOCAL in my workspace
    await call(UPDATE_REFERRAL, { id: local, input: { name: "Local, renamed" } });
    const shared = await referral();
    await call(SHARE, { id: shared, w: strangerWorkspace }); // from now on the stranger sees it
    await call(UPDATE_REFERRAL, { id: shared, input: { name: "Shared, renamed" } });
    await call(UNSHARE, { id: shared, w: strangerWorkspace }); // and from now on no longer
    await call(UPDATE_REFERRAL, { id: shared, input: { name: "Unshared, renamed" } });
    const outsiders = await referral(outsider);
    // Last, a deal both of us see: one subscription gets events in commit order, so once it has
    // arrived, nothing committed before it can still come.
    const sentinel = await referral();
    await call(SHARE, { id: sentinel, w: strangerWorkspace });

    await waitFor(() => mine.ofDeal(sentinel).includes("DEAL_SHARED"), "my sentinel");
    await waitFor(() => theirs.ofDeal(sentinel).includes("DEAL_SHARED"), "the stranger's sentinel");
    await waitFor(() => foreign.ofDeal(outsiders).includes("DEAL_CREATED"), "the outsider's own event");

    expect(mine.ofDeal(local)).toEqual(["DEAL_CREATED", "DEAL_UPDATED"]);
    expect(mine.ofDeal(shared)).toEqual(["DEAL_CREATED", "DEAL_SHARED", "DEAL_UPDATED", "DEAL_UNSHARED", "DEAL_UPDATED"]);
    expect(mine.ofDeal(outsiders)).toEqual([]);
    expect(theirs.received.map((e) => [e.deal.id, e.kind])).toEqual([
      [shared, "DEAL_SHARED"],
      [shared, "DEAL_UPDATED"],
      [sentinel, "DEAL_SHARED"],
    ]);
    expect(foreign.received.map((e) => e.deal.id)).toEqual([outsiders]);

    const renamed = mine.received.find((e) => e.deal.id === local && e.kind === "DEAL_UPDATED")!;
    expect(renamed).toMatchObject({
      changedFields: ["name"],
      actor: { id: me.userId },
      workspace: null,
      deal: { __typename: "ReferralOpportunity", name: "Local, renamed", version: 2, visibilityMode: "WORKSPACE_LOCAL", stage: { key: "lead" }, seeker: { id: people[me.organizationId].seekerId } },
    });
    expect(theirs.received[0]).toMatchObject({ workspace: { id: strangerWorkspace }, deal: { visibilityMode: "SHARED" } });
    for (const subscription of [mine, theirs, foreign]) expect(subscription.errors).toEqual([]);
  });

  it("checks visibility for all subscribers of an event in one statement, which the write does not pay for", async () => {
    const create = () => service.http(CREATE_REFERRAL, { input: people[me.organizationId] }, { key: me.apiKey });
    const unobserved = await create();
    const subscriptions = [await subscribe(me), await subscribe(me), await subscribe(stranger), await subscribe(stranger)];
    const spy = jest.spyOn(service.db, "query");
    try {
      const observed = await create();
      const deal = dataOf(observed).createReferralOpportunity.data.id;
      await waitFor(() => subscriptions[0].ofDeal(deal).length === 1 && subscriptions[1].ofDeal(deal).length === 1, "the event");
      const lookups = spy.mock.calls.filter(([sql]) => String(sql).includes("FROM deal_event event"));
      expect(lookups).toHaveLength(1);
      expect(observed.sql).toBe(unobserved.sql);
    } finally {
      spy.mockRestore();
    }
  });

  it("ends a subscription whose API key is revoked, at the next event, with UNAUTHENTICATED", async () => {
    const revocable = await createUser(service.db, me.organizationId, me.workspaceId);
    const watching = await subscribe(revocable);
    const kept = await subscribe(me);
    const first = await referral();
    await waitFor(() => watching.ofDeal(first).length === 1 && kept.ofDeal(first).length === 1, "the first event");
    await adminService.revokeKey(service.db, { key: revocable.apiKey });
    const second = await referral();
    await waitFor(() => kept.ofDeal(second).length === 1 && watching.errors.length === 1, "the second event and the error");
    expect(watching.ofDeal(second)).toEqual([]);
    expect(JSON.stringify(watching.errors[0])).toContain("UNAUTHENTICATED");
    await waitFor(() => dealEventSubscriptions.hub!.size === 0 || !hubHas(revocable.userId), "the subscription to end");
  });

  it("narrows to one deal or one pipeline", async () => {
    const first = await referral();
    const second = await referral();
    const oneDeal = await subscribe(me, { dealId: first });
    const sales = await subscribe(me, { pipeline: "SALES" });
    const referrals = await subscribe(me, { pipeline: "REFERRAL" });
    await call(UPDATE_REFERRAL, { id: second, input: { name: "Second" } });
    await call(UPDATE_REFERRAL, { id: first, input: { name: "First" } });
    // Then a sales opportunity, which only the SALES subscription takes: once it has arrived there,
    // the referral events before it would have too.
    const customerId = (await createCompany(service.db, me.organizationId)).id;
    const opportunity = (await call(CREATE_OPPORTUNITY, { input: { customerId, title: "Roof", pipelineType: "RETROFIT" } })).createOpportunity.data.id;
    // And the first deal once more, for the other two to have something after the opportunity.
    await call(UPDATE_REFERRAL, { id: first, input: { name: "First again" } });
    await waitFor(() => oneDeal.received.length === 2 && referrals.received.length === 3 && sales.received.length === 1, "the events");
    expect(oneDeal.received.map((e) => e.deal.id)).toEqual([first, first]);
    expect(referrals.received.map((e) => e.deal.id)).toEqual([second, first, first]);
    expect(sales.received.map((e) => [e.deal.id, e.kind])).toEqual([[opportunity, "DEAL_CREATED"]]);
  });

  const realPostgres = process.env.DEALGRAPH_TEST_EMBEDDED !== "true";
  (realPostgres ? it : it.skip)("hears the events another replica commits (LISTEN/NOTIFY; skipped on the embedded database, which serves one process)", async () => {
    const replica = await startReplicaProcess({ WEBHOOK_WORKER: "false" });
    try {
      const mine = await subscribe(me);
      const response = await fetch(replica.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${me.apiKey}` },
        body: JSON.stringify({ query: CREATE_REFERRAL, variables: { input: people[me.organizationId] } }),
      });
      const id = ((await response.json()) as any).data.createReferralOpportunity.data.id;
      await waitFor(() => mine.ofDeal(id).includes("DEAL_CREATED"), "the other replica's event");
      expect(mine.ofDeal(id)).toEqual(["DEAL_CREATED"]);
    } finally {
      await stopProcess(replica.child);
    }
  }, 60_000);

  it("says where to send the subscription when it comes over HTTP", async () => {
    const result = await service.http(`subscription { dealEvents { id } }`, {}, { key: me.apiKey });
    expect(result.body.errors).toEqual([
      expect.objectContaining({ message: expect.stringContaining("send it over WebSocket"), extensions: { code: "BAD_USER_INPUT" } }),
    ]);
  });

  it("refuses a connection without a valid API key", async () => {
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
      const client = createClient({
        url: wsUrl(),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: "Bearer dg_nope" },
        lazy: false,
        retryAttempts: 0,
        on: { closed: (event) => resolve(event as { code: number; reason: string }) },
        onNonLazyError: () => undefined,
      });
      clients.push(client);
    });
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/API key/);
  });
});
