import { committedEvents, RecordedEvent } from "../src/core/events/committed-events";
import { DealEventRow, eventMessage } from "../src/modules/events/deal-event";
import { Pipeline } from "../src/modules/stage/stage.entity";
import { createCompany, createPerson, createTenant, createWorkspace, stageId, TestUser } from "./factories";
import { dataOf, errorOf, useTestService } from "./support/harness";

const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) {
  createReferralOpportunity(input: $input) { data { id version name description currency visibilityMode createdAt updatedAt
    stageEnteredAt closedAt archivedAt expectedValue pipelineDealId stage { id key label } } } }`;
const UPDATE_REFERRAL = `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) {
  updateReferralOpportunity(id: $id, input: $input) { data { id version name expectedValue updatedAt } } }`;
const CREATE_OPPORTUNITY = `mutation ($input: CreateOpportunityInput!) { createOpportunity(input: $input) { data { id version } } }`;
const UPDATE_OPPORTUNITY = `mutation ($id: ID!, $input: UpdateOpportunityInput!) {
  updateOpportunity(id: $id, input: $input) { data { id version title estimatedValue probability pipelineType stage { key } } } }`;
const MOVE = `mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { data { id version closedAt stage { id key label } } } }`;
const ARCHIVE = `mutation ($id: ID!) { archiveDeal(id: $id) { data { id version archivedAt } } }`;
const RESTORE = `mutation ($id: ID!) { restoreDeal(id: $id) { data { id version archivedAt } } }`;
const SHARE = `mutation ($id: ID!, $w: ID!) { shareDeal(dealId: $id, workspaceId: $w) { data { id version visibilityMode } } }`;
const UNSHARE = `mutation ($id: ID!, $w: ID!) { unshareDeal(dealId: $id, workspaceId: $w) { data { id version visibilityMode } } }`;

describe("deal events in the outbox", () => {
  const service = useTestService();
  let me: TestUser;
  let otherWorkspace: string;
  let seekerId: string;
  let providerId: string;
  let customerId: string;
  let stages: Record<string, string>;
  /** What units of work announced after commit, in this process. */
  let announced: RecordedEvent[] = [];
  let unsubscribe: () => void;

  beforeAll(async () => {
    me = await createTenant(service.db);
    otherWorkspace = await createWorkspace(service.db, me.organizationId);
    seekerId = (await createPerson(service.db, me.organizationId, { companyId: (await createCompany(service.db, me.organizationId, "Acme")).id })).id;
    providerId = (await createPerson(service.db, me.organizationId, { companyId: (await createCompany(service.db, me.organizationId, "Globex")).id })).id;
    customerId = (await createCompany(service.db, me.organizationId)).id;
    stages = {};
    for (const key of ["lead", "introduced", "won"]) stages[`referral:${key}`] = await stageId(service.db, me.organizationId, Pipeline.REFERRAL, key);
    for (const key of ["lead", "qualified", "won"]) stages[`sales:${key}`] = await stageId(service.db, me.organizationId, Pipeline.SALES, key);
    unsubscribe = committedEvents.subscribe((events) => announced.push(...events));
  });
  afterAll(() => unsubscribe());
  beforeEach(() => {
    announced = [];
  });

  const call = async (query: string, variables: Record<string, unknown>) => dataOf(await service.http(query, variables, { key: me.apiKey }));
  const referral = async (input: Record<string, unknown> = {}) =>
    (await call(CREATE_REFERRAL, { input: { seekerId, providerId, ...input } })).createReferralOpportunity.data;
  /** The deal's events in commit order, as webhooks deliver them. */
  const eventsOf = async (dealId: string) =>
    ((await service.db.query(`SELECT * FROM deal_event WHERE deal_id = $1 ORDER BY position`, [dealId])) as DealEventRow[]).map(eventMessage);
  const kindsOf = async (dealId: string) => (await eventsOf(dealId)).map((event) => event.type);

  it("records deal.created with the deal as GraphQL shows it", async () => {
    const deal = await referral({ name: "Intro", description: "Why", expectedValue: 12.5 });
    const events = await eventsOf(deal.id);
    expect(events).toHaveLength(1);
    const [created] = events;
    expect(created).toMatchObject({ type: "deal.created", organizationId: me.organizationId, dealId: deal.id, actorId: me.userId });
    expect(created.data.deal).toEqual({
      __typename: "ReferralOpportunity",
      id: deal.id,
      pipelineDealId: deal.id,
      name: "Intro",
      description: "Why",
      currency: "USD",
      visibilityMode: "WORKSPACE_LOCAL",
      version: 1,
      stage: deal.stage,
      ownerId: me.userId,
      workspaceId: me.workspaceId,
      stageEnteredAt: deal.stageEnteredAt,
      closedAt: null,
      archivedAt: null,
      createdAt: deal.createdAt,
      updatedAt: deal.updatedAt,
      expectedValue: 12.5,
      seekerId,
      providerId,
      connectorId: me.userId,
      productId: null,
    });
    expect(new Date(created.occurredAt).getTime()).toBeGreaterThan(0);
    expect(announced).toEqual([
      { id: created.id, organizationId: me.organizationId, dealId: deal.id, kind: "deal.created", position: expect.any(Number), deliveries: 0 },
    ]);
  });

  it("records deal.updated with the changed fields by their GraphQL names", async () => {
    const deal = await referral();
    const updated = (await call(UPDATE_REFERRAL, { id: deal.id, input: { name: "Renamed", expectedValue: 3 } })).updateReferralOpportunity.data;
    const events = await eventsOf(deal.id);
    expect(events.map((e) => e.type)).toEqual(["deal.created", "deal.updated"]);
    expect(events[1].data.changedFields).toEqual(["expectedValue", "name"]);
    expect(events[1].data.deal).toMatchObject({ name: "Renamed", expectedValue: 3, version: 2, updatedAt: updated.updatedAt });
    expect(announced.map((e) => e.kind)).toEqual(["deal.created", "deal.updated"]);
  });

  it("announces how many webhook deliveries each event queued (the worker wakes only for those)", async () => {
    const [endpoint] = await service.db.query(
      `INSERT INTO webhook_endpoint (organization_id, url, events, secret) VALUES ($1, 'https://hooks.example/updates', '{deal.updated}', 's') RETURNING id`,
      [me.organizationId],
    );
    try {
      const deal = await referral();
      await call(UPDATE_REFERRAL, { id: deal.id, input: { name: "Renamed for the hook" } });
      expect(announced.map((e) => [e.kind, e.deliveries])).toEqual([
        ["deal.created", 0],
        ["deal.updated", 1],
      ]);
    } finally {
      await service.db.query(`DELETE FROM webhook_delivery WHERE endpoint_id = $1`, [endpoint.id]);
      await service.db.query(`DELETE FROM webhook_endpoint WHERE id = $1`, [endpoint.id]);
    }
  });

  it("records one deal.created for a create retried with its idempotency key", async () => {
    const first = await referral({ idempotencyKey: "events-retry" });
    const again = await referral({ idempotencyKey: "events-retry" });
    expect(again.id).toBe(first.id);
    expect(await kindsOf(first.id)).toEqual(["deal.created"]);
    expect(announced.map((e) => e.kind)).toEqual(["deal.created"]);
  });

  it("records nothing for a patch that changes nothing", async () => {
    const deal = await referral({ name: "Same" });
    await call(UPDATE_REFERRAL, { id: deal.id, input: { name: "Same" } });
    expect(await kindsOf(deal.id)).toEqual(["deal.created"]);
  });

  it("records one deal.stage_changed for a move, with the stages it left and entered", async () => {
    const deal = await referral();
    const moved = (await call(MOVE, { id: deal.id, stageId: stages["referral:won"] })).moveDeal.data;
    const events = await eventsOf(deal.id);
    expect(events.map((e) => e.type)).toEqual(["deal.created", "deal.stage_changed"]);
    expect(events[1].data.fromStage).toEqual(deal.stage);
    expect(events[1].data.toStage).toEqual(moved.stage);
    expect(events[1].data.deal).toMatchObject({ stage: moved.stage, closedAt: moved.closedAt, version: 2 });
    expect(events[1].data.changedFields).toBeUndefined();
  });

  it("records deal.updated and deal.stage_changed for an update that also moves, in that order", async () => {
    const { id } = (await call(CREATE_OPPORTUNITY, { input: { customerId, title: "Roof", pipelineType: "RETROFIT" } })).createOpportunity.data;
    const data = (await call(UPDATE_OPPORTUNITY, { id, input: { title: "New roof", estimatedValue: 900, stage: "QUALIFIED" } })).updateOpportunity.data;
    const events = await eventsOf(id);
    expect(events.map((e) => e.type)).toEqual(["deal.created", "deal.updated", "deal.stage_changed"]);
    // The stage's default probability came with the move: the update changed it too.
    expect(events[1].data.changedFields).toEqual(["estimatedValue", "probability", "title"]);
    expect(events[2].data).toMatchObject({ fromStage: { key: "lead" }, toStage: { key: "qualified" } });
    expect(events[2].data.deal).toMatchObject({
      __typename: "Opportunity",
      title: "New roof",
      name: "New roof",
      estimatedValue: 900,
      probability: data.probability,
      pipelineType: "RETROFIT",
      customerId,
      version: 2,
    });
  });

  it("records deal.archived and deal.restored, and nothing for an archive that changes nothing", async () => {
    const deal = await referral();
    const archived = (await call(ARCHIVE, { id: deal.id })).archiveDeal.data;
    await call(ARCHIVE, { id: deal.id });
    await call(RESTORE, { id: deal.id });
    const events = await eventsOf(deal.id);
    expect(events.map((e) => e.type)).toEqual(["deal.created", "deal.archived", "deal.restored"]);
    expect(events[1].data.deal).toMatchObject({ archivedAt: archived.archivedAt, version: 2 });
    expect(events[2].data.deal).toMatchObject({ archivedAt: null, version: 3 });
  });

  it("records deal.shared and deal.unshared with the workspace, and nothing for a share that changes nothing", async () => {
    const deal = await referral();
    await call(SHARE, { id: deal.id, w: otherWorkspace });
    await call(SHARE, { id: deal.id, w: otherWorkspace });
    await call(UNSHARE, { id: deal.id, w: otherWorkspace });
    await call(UNSHARE, { id: deal.id, w: otherWorkspace });
    const events = await eventsOf(deal.id);
    expect(events.map((e) => e.type)).toEqual(["deal.created", "deal.shared", "deal.unshared"]);
    expect(events[1].data).toMatchObject({ workspaceId: otherWorkspace, deal: { visibilityMode: "SHARED", version: 2 } });
    expect(events[2].data).toMatchObject({ workspaceId: otherWorkspace, deal: { visibilityMode: "SHARED", version: 3 } });
    expect(announced.map((e) => e.kind)).toEqual(["deal.created", "deal.shared", "deal.unshared"]);
  });

  it("records the same events for the REST routes, which run the same commands", async () => {
    const base = service.url.replace(/\/graphql$/, "");
    const send = async (method: string, path: string, body: unknown) => {
      const response = await fetch(base + path, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${me.apiKey}` },
        body: JSON.stringify(body),
      });
      expect(response.status).toBeLessThan(300);
      return (await response.json()) as { data: { id: string } };
    };
    const { data } = await send("POST", "/api/referral-opps", { seekerId, providerId, expectedValue: 5 });
    await send("PATCH", `/api/referral-opps/${data.id}`, { expectedValue: 6 });
    const events = await eventsOf(data.id);
    expect(events.map((e) => [e.type, e.data.changedFields])).toEqual([
      ["deal.created", undefined],
      ["deal.updated", ["expectedValue"]],
    ]);
  });

  it("records no event, and announces none, when the write's transaction fails after it", async () => {
    const deal = await referral();
    announced = [];
    // The same injected failure as the lifecycle's atomicity test: at COMMIT, after the write.
    await service.db.query(`
      CREATE OR REPLACE FUNCTION fail_after_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
    await service.db.query(`
      CREATE CONSTRAINT TRIGGER fail_after_event AFTER INSERT ON deal_event
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.deal_id = '${deal.id}') EXECUTE FUNCTION fail_after_event()`);
    const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      for (const [query, variables] of [
        [MOVE, { id: deal.id, stageId: stages["referral:won"] }],
        [UPDATE_REFERRAL, { id: deal.id, input: { name: "Never" } }],
        [ARCHIVE, { id: deal.id }],
        [SHARE, { id: deal.id, w: otherWorkspace }],
      ] as const) {
        const result = await service.http(query, variables, { key: me.apiKey });
        expect(errorOf(result).extensions!.code).toBe("INTERNAL_SERVER_ERROR");
      }
    } finally {
      spy.mockRestore();
      await service.db.query(`DROP TRIGGER fail_after_event ON deal_event`);
      await service.db.query(`DROP FUNCTION fail_after_event`);
    }
    expect(await kindsOf(deal.id)).toEqual(["deal.created"]);
    expect((await service.db.query(`SELECT version FROM pipeline_deal WHERE id = $1`, [deal.id]))[0].version).toBe(1);
    expect(announced).toEqual([]);
  });
});
