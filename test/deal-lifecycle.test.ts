import { Pipeline } from "../src/modules/stage/stage.entity";
import {
  createCompany,
  createPerson,
  createProduct,
  createSite,
  createTenant,
  createUser,
  createWorkspace,
  stageId,
  TestUser,
} from "./factories";
import { dataOf, errorOf, fieldPaths, useTestService } from "./support/harness";

const DEAL = `id version name stageEnteredAt closedAt archivedAt archivedBy { id } updatedAt stage { key }
  stageHistory { fromStage { key } toStage { key } changedAt secondsInFromStage changedBy { id } }`;
const REFERRAL = `${DEAL} description expectedValue currency product { id } seeker { id } provider { id } connector { id }
  facilitators { userId role side }`;
const OPPORTUNITY = `${DEAL} title estimatedValue probability winLossReason lostReasonCategory customerId siteId
  ownerUserId workspaceId primaryContactId solutionFamilies`;

const CREATE_REFERRAL = `mutation ($input: CreateReferralOpportunityInput!) {
  createReferralOpportunity(input: $input) { data { ${REFERRAL} } } }`;
const UPDATE_REFERRAL = `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) {
  updateReferralOpportunity(id: $id, input: $input) { success message data { ${REFERRAL} } } }`;
const CREATE_OPPORTUNITY = `mutation ($input: CreateOpportunityInput!) {
  createOpportunity(input: $input) { data { ${OPPORTUNITY} } } }`;
const UPDATE_OPPORTUNITY = `mutation ($id: ID!, $input: UpdateOpportunityInput!) {
  updateOpportunity(id: $id, input: $input) { success message data { ${OPPORTUNITY} } } }`;
const MOVE = `mutation ($id: ID!, $stageId: ID!, $expectedVersion: Int) {
  moveDeal(id: $id, stageId: $stageId, expectedVersion: $expectedVersion) {
    success message data { ${DEAL} ... on Opportunity { probability winLossReason lostReasonCategory } } } }`;
const ARCHIVE = `mutation ($id: ID!, $expectedVersion: Int) {
  archiveDeal(id: $id, expectedVersion: $expectedVersion) { success message data { ${DEAL} } } }`;
const RESTORE = `mutation ($id: ID!) { restoreDeal(id: $id) { success message data { ${DEAL} } } }`;
const BY_ID = `query ($id: ID!) { pipelineDeal(id: $id) { ${DEAL} } }`;
/** What a client reads back after a write, for the statement budgets: the deal's own fields and its stage. */
const LEAN = "id version stage { key }";

describe("a deal's life", () => {
  const service = useTestService();
  let me: TestUser;
  let colleague: TestUser; // a member of my workspace
  let stranger: TestUser; // a member of another workspace only
  let outsider: TestUser; // another organization
  let seekerId: string;
  let providerId: string;
  let otherPersonId: string;
  let sourceId: string;
  let customerId: string;
  let otherCustomerId: string;
  let siteId: string;
  let stages: Record<string, string>;

  beforeAll(async () => {
    me = await createTenant(service.db);
    colleague = await createUser(service.db, me.organizationId, me.workspaceId);
    const elsewhere = await createWorkspace(service.db, me.organizationId);
    stranger = await createUser(service.db, me.organizationId, elsewhere);
    outsider = await createTenant(service.db);
    const [seekerCo, providerCo] = [await createCompany(service.db, me.organizationId, "Acme"), await createCompany(service.db, me.organizationId, "Globex")];
    sourceId = (await createPerson(service.db, me.organizationId, { firstName: "Rita" })).id;
    seekerId = (await createPerson(service.db, me.organizationId, { companyId: seekerCo.id })).id;
    providerId = (await createPerson(service.db, me.organizationId, { companyId: providerCo.id })).id;
    otherPersonId = (await createPerson(service.db, me.organizationId, { referredById: sourceId })).id;
    customerId = (await createCompany(service.db, me.organizationId)).id;
    otherCustomerId = (await createCompany(service.db, me.organizationId)).id;
    siteId = (await createSite(service.db, me.organizationId, customerId)).id;
    stages = {};
    for (const key of ["lead", "introduced", "meeting", "won", "lost"]) stages[`referral:${key}`] = await stageId(service.db, me.organizationId, Pipeline.REFERRAL, key);
    for (const key of ["lead", "qualified", "survey", "proposal", "negotiation", "won", "lost"]) stages[`sales:${key}`] = await stageId(service.db, me.organizationId, Pipeline.SALES, key);
  });

  const referral = async (input: Record<string, unknown> = {}, key = me.apiKey) =>
    dataOf(await service.http(CREATE_REFERRAL, { input: { seekerId, providerId, ...input } }, { key })).createReferralOpportunity.data;
  const opportunity = async (input: Record<string, unknown> = {}, key = me.apiKey) =>
    dataOf(await service.http(CREATE_OPPORTUNITY, { input: { customerId, title: "Roof", pipelineType: "RETROFIT", ...input } }, { key }))
      .createOpportunity.data;
  const stored = async (id: string) =>
    (await service.db.query(`SELECT * FROM pipeline_deal WHERE id = $1`, [id]))[0] as Record<string, any>;
  const historyRows = async (id: string) =>
    Number((await service.db.query(`SELECT count(*) AS n FROM deal_stage_change WHERE deal_id = $1`, [id]))[0].n);

  describe("creation", () => {
    it("starts every deal at version 1 with one history entry: entering its first stage, by its creator", async () => {
      const deal = await referral();
      expect(deal).toMatchObject({ version: 1, closedAt: null, archivedAt: null, archivedBy: null, stage: { key: "lead" } });
      expect(deal.stageHistory).toEqual([
        { fromStage: null, toStage: { key: "lead" }, changedAt: deal.stageEnteredAt, secondsInFromStage: null, changedBy: { id: me.userId } },
      ]);
      const won = await opportunity({ stage: "WON", winLossReason: "Best offer" });
      expect(won.closedAt).toBe(won.stageEnteredAt);
      expect(won.stageHistory).toHaveLength(1);
    });
  });

  describe("updateReferralOpportunity", () => {
    it("changes only what the patch names, and null clears an optional field", async () => {
      const product = await createProduct(service.db, me.organizationId);
      const deal = await referral({ name: "Intro", description: "Why", expectedValue: 10, productId: product.id });
      const result = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { expectedValue: 25.5, description: null } }, { key: me.apiKey });
      const updated = dataOf(result).updateReferralOpportunity;
      expect(updated).toMatchObject({ success: true, message: "Referral opportunity updated successfully" });
      expect(updated.data).toMatchObject({ name: "Intro", description: null, expectedValue: "25.5", currency: "USD", product: { id: product.id }, version: 2 });
      expect(new Date(updated.data.updatedAt).getTime()).toBeGreaterThan(new Date(deal.updatedAt).getTime());
      const cleared = dataOf(await service.http(UPDATE_REFERRAL, { id: deal.id, input: { productId: null, expectedValue: null, currency: "eur" } }, { key: me.apiKey }));
      expect(cleared.updateReferralOpportunity.data).toMatchObject({ product: null, expectedValue: null, currency: "EUR", version: 3 });
      expect(await historyRows(deal.id)).toBe(1);
    });

    it("refuses to clear a required field, names it, and writes nothing", async () => {
      const deal = await referral();
      const result = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { seekerId: null, currency: null, name: "x".repeat(201) } }, { key: me.apiKey });
      expect(fieldPaths(result)).toEqual(["input.currency", "input.name", "input.seekerId"]);
      expect(errorOf(result).extensions!.fields.find((f: any) => f.path === "input.seekerId").message).toMatch(/cannot be cleared/);
      expect((await stored(deal.id)).version).toBe(1);
    });

    it("names the deal after the employers again when the name is sent blank", async () => {
      const deal = await referral({ name: "Custom" });
      const data = dataOf(await service.http(UPDATE_REFERRAL, { id: deal.id, input: { name: "  " } }, { key: me.apiKey })).updateReferralOpportunity.data;
      expect(data.name).toBe("Acme → Globex");
    });

    it("plans the facilitators again when a party changes, by the create's rule", async () => {
      const deal = await referral();
      expect(deal.facilitators).toEqual([{ userId: me.userId, role: "CONNECTOR", side: "SEEKER" }]);
      const data = dataOf(await service.http(UPDATE_REFERRAL, { id: deal.id, input: { seekerId: otherPersonId } }, { key: me.apiKey }))
        .updateReferralOpportunity.data;
      expect(data.seeker.id).toBe(otherPersonId);
      expect(data.facilitators).toEqual([
        { userId: me.userId, role: "CONNECTOR", side: "SEEKER" },
        { userId: sourceId, role: "REFERRAL_SOURCE", side: "SEEKER" },
      ]);
      const rows = await service.db.query(`SELECT person_id FROM pipeline_deal_facilitator WHERE deal_id = $1 ORDER BY role`, [deal.id]);
      expect(rows.map((r: any) => r.person_id)).toEqual([me.userId, sourceId]);
    });

    it("checks the merged parties: the seeker, provider and connector stay three different people", async () => {
      const deal = await referral();
      const result = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { connectorId: providerId } }, { key: me.apiKey });
      expect(fieldPaths(result)).toEqual(["input.connectorId"]);
      const unknown = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { providerId: outsider.userId, productId: outsider.userId } }, { key: me.apiKey });
      expect(fieldPaths(unknown)).toEqual(["input.productId", "input.providerId"]);
      expect((await stored(deal.id)).version).toBe(1);
    });

    it("writes nothing and keeps the version when the patch changes nothing", async () => {
      const deal = await referral({ name: "Same", expectedValue: 5 });
      const result = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { name: "Same", expectedValue: 5.0, currency: "usd" } }, { key: me.apiKey });
      expect(dataOf(result).updateReferralOpportunity.data).toMatchObject({ version: 1, updatedAt: deal.updatedAt });
    });

    it("takes 2 statements with every party and the product changed", async () => {
      const deal = await referral();
      const product = await createProduct(service.db, me.organizationId);
      const result = await service.http(
        `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) { updateReferralOpportunity(id: $id, input: $input) { data { ${LEAN} } } }`,
        { id: deal.id, input: { seekerId: otherPersonId, providerId: seekerId, productId: product.id, name: "Counted" } },
        { key: me.apiKey },
      );
      expect(dataOf(result).updateReferralOpportunity.data.version).toBe(2);
      // The deal with the people and the product; the update with its facilitators and events (the
      // key, used before, is cached).
      expect(result.sql).toBe(2);
    });

    it("answers with every nested field in 3 statements: the read brings the deal's relations, the history its people", async () => {
      const deal = await referral({ productId: (await createProduct(service.db, me.organizationId)).id });
      const full = `${DEAL} description expectedValue currency workspace { id name } owner { id firstName company { name } }
        product { id name company { name } }
        seeker { id firstName company { id name } } provider { id lastName company { name } } connector { id email company { name } }
        facilitators { id userId companyId role side user { id firstName company { name } } company { id name } }`;
      const query = `mutation ($id: ID!, $input: UpdateReferralOpportunityInput!) { updateReferralOpportunity(id: $id, input: $input) { data { ${full} } } }`;
      // The deal with its relations; the update; the stage history with its people and stages. A
      // party changed: the read's checks join the people, so the deal comes on several rows.
      const changed = await service.http(query, { id: deal.id, input: { seekerId: otherPersonId, name: "Read back" } }, { key: me.apiKey });
      expect(changed.sql).toBe(3);
      const unchanged = await service.http(query, { id: deal.id, input: { name: "Read back again" } }, { key: me.apiKey });
      expect(unchanged.sql).toBe(3);
      // The answers equal what a read of the deal by id gives afterwards, facilitators once each.
      const read = dataOf(await service.http(`query ($id: ID!) { pipelineDeal(id: $id) { ... on ReferralOpportunity { ${full} } } }`, { id: deal.id }, { key: me.apiKey }));
      expect(dataOf(unchanged).updateReferralOpportunity.data).toEqual(read.pipelineDeal);
      expect(dataOf(changed).updateReferralOpportunity.data.facilitators).toEqual(read.pipelineDeal.facilitators);
      expect(new Set(read.pipelineDeal.facilitators.map((f: { id: string }) => f.id)).size).toBe(read.pipelineDeal.facilitators.length);
    });
  });

  describe("updateOpportunity", () => {
    it("checks every create rule on the merged result: a site must belong to a changed customer", async () => {
      const deal = await opportunity({ siteId });
      const result = await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { customerId: otherCustomerId } }, { key: me.apiKey });
      expect(fieldPaths(result)).toEqual(["input.customerId"]);
      expect(errorOf(result).extensions!.fields[0].constraint).toBe("belongsToCustomer");
      const both = await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { customerId: otherCustomerId, siteId: null } }, { key: me.apiKey });
      expect(dataOf(both).updateOpportunity.data).toMatchObject({ customerId: otherCustomerId, siteId: null, version: 2 });
    });

    it("keeps the outcome rules: a loss category only while lost, a reason only while won or lost", async () => {
      const deal = await opportunity();
      const result = await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { lostReasonCategory: "PRICE", winLossReason: "Too dear" } }, { key: me.apiKey });
      expect(fieldPaths(result)).toEqual(["input.lostReasonCategory", "input.winLossReason"]);
      const lost = await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { stage: "LOST", lostReasonCategory: "PRICE", winLossReason: "Too dear" } }, { key: me.apiKey });
      expect(dataOf(lost).updateOpportunity.data).toMatchObject({ stage: { key: "lost" }, probability: 0, lostReasonCategory: "PRICE" });
    });

    it("keeps the owner a USER member of the deal's workspace, and the workspace one of yours", async () => {
      const deal = await opportunity();
      const contact = await createPerson(service.db, me.organizationId);
      expect(fieldPaths(await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { ownerUserId: contact.id } }, { key: me.apiKey }))).toEqual(["input.ownerUserId"]);
      expect(fieldPaths(await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { ownerUserId: stranger.userId } }, { key: me.apiKey }))).toEqual(["input.ownerUserId"]);
      const notMine = await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { workspaceId: stranger.workspaceId } }, { key: me.apiKey });
      expect(errorOf(notMine).extensions!.code).toBe("FORBIDDEN");
      const handed = await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { ownerUserId: colleague.userId } }, { key: me.apiKey });
      expect(dataOf(handed).updateOpportunity.data.ownerUserId).toBe(colleague.userId);
    });

    it("moves the deal when the stage changes: history, probability from the stage unless given", async () => {
      const deal = await opportunity();
      const moved = dataOf(await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { stage: "PROPOSAL" } }, { key: me.apiKey })).updateOpportunity.data;
      expect(moved).toMatchObject({ stage: { key: "proposal" }, probability: 60, version: 2 });
      expect(moved.stageHistory.map((c: any) => c.toStage.key)).toEqual(["lead", "proposal"]);
      const set = dataOf(await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { stage: "NEGOTIATION", probability: 70 } }, { key: me.apiKey }))
        .updateOpportunity.data;
      expect(set).toMatchObject({ stage: { key: "negotiation" }, probability: 70 });
    });

    it("writes nothing when nothing changes, and takes 2 statements when everything does", async () => {
      const deal = await opportunity({ siteId, solutionFamilies: ["HVAC"] });
      const same = await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { title: "Roof", solutionFamilies: ["HVAC"], siteId } }, { key: me.apiKey });
      expect(dataOf(same).updateOpportunity.data.version).toBe(1);
      const contact = await createPerson(service.db, me.organizationId);
      const all = await service.http(
        `mutation ($id: ID!, $input: UpdateOpportunityInput!) { updateOpportunity(id: $id, input: $input) { data { ${LEAN} title primaryContactId } } }`,
        { id: deal.id, input: { customerId: otherCustomerId, siteId: null, primaryContactId: contact.id, ownerUserId: colleague.userId, workspaceId: me.workspaceId, stage: "QUALIFIED", title: "All" } },
        { key: me.apiKey },
      );
      expect(dataOf(all).updateOpportunity.data).toMatchObject({ version: 2, title: "All", primaryContactId: contact.id });
      // The deal with every reference; the update with its history and events (the key is cached).
      expect(all.sql).toBe(2);
    });
  });

  describe("who may change a deal", () => {
    const cases: Array<[string, () => TestUser, string]> = [
      ["its owner", () => me, "ok"],
      ["a member of its workspace", () => colleague, "ok"],
      ["a member of another workspace who sees it (GLOBAL)", () => stranger, "FORBIDDEN"],
      ["someone of another organization", () => outsider, "NOT_FOUND"],
    ];
    it.each(cases)("%s: update, move, archive and share", async (_who, caller, expected) => {
      const deal = await opportunity({ visibilityMode: "GLOBAL" });
      const key = caller().apiKey;
      const attempts = [
        await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { title: "Changed" } }, { key }),
        await service.http(MOVE, { id: deal.id, stageId: stages["sales:qualified"] }, { key }),
        await service.http(`mutation ($id: ID!, $w: ID!) { shareDeal(dealId: $id, workspaceId: $w) { success } }`, { id: deal.id, w: stranger.workspaceId }, { key }),
        await service.http(ARCHIVE, { id: deal.id }, { key }),
      ];
      for (const result of attempts) {
        if (expected === "ok") expect(result.body.errors).toBeUndefined();
        else expect(errorOf(result).extensions!.code).toBe(expected);
      }
      expect((await stored(deal.id)).version).toBe(expected === "ok" ? 5 : 1);
    });

    it("is NOT_FOUND for a deal the caller cannot see", async () => {
      const deal = await opportunity();
      expect(errorOf(await service.http(MOVE, { id: deal.id, stageId: stages["sales:qualified"] }, { key: stranger.apiKey })).extensions!.code).toBe("NOT_FOUND");
    });
  });

  describe("optimistic concurrency", () => {
    it("refuses a stale expectedVersion with CONFLICT and the current version, writing nothing", async () => {
      const deal = await referral();
      await service.http(UPDATE_REFERRAL, { id: deal.id, input: { name: "First" } }, { key: me.apiKey });
      const stale = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { name: "Second", expectedVersion: 1 } }, { key: me.apiKey });
      expect(errorOf(stale).extensions).toMatchObject({ code: "CONFLICT", currentVersion: 2 });
      expect((await stored(deal.id)).name).toBe("First");
      const fresh = await service.http(UPDATE_REFERRAL, { id: deal.id, input: { name: "Second", expectedVersion: 2 } }, { key: me.apiKey });
      expect(dataOf(fresh).updateReferralOpportunity.data).toMatchObject({ name: "Second", version: 3 });
    });

    it("lets exactly one of two concurrent writes with the same expectedVersion win", async () => {
      if (process.env.DEALGRAPH_TEST_EMBEDDED === "true") return; // one connection: no two requests run at once
      const deal = await opportunity();
      const results = await Promise.all(
        ["A", "B"].map((title) => service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { title, expectedVersion: 1 } }, { key: me.apiKey })),
      );
      const won = results.filter((r) => !r.body.errors);
      const lost = results.filter((r) => r.body.errors);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(errorOf(lost[0]).extensions).toMatchObject({ code: "CONFLICT", currentVersion: 2 });
      expect((await stored(deal.id)).name).toBe(dataOf(won[0]).updateOpportunity.data.title);
      expect((await stored(deal.id)).version).toBe(2);
    });
  });

  // One connection on the embedded database: no two requests run at once.
  (process.env.DEALGRAPH_TEST_EMBEDDED === "true" ? describe.skip : describe)("a write that comes between a command's read and its write", () => {
    const lockWaits = async () =>
      Number(
        (await service.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n,
      );

    /**
     * Runs `sql` in a transaction of its own, sends the request, and commits once the request's
     * write waits for the row: the request read the deal as it was (reads take no lock), so the
     * concurrent write lands between its read and its write.
     */
    async function between<T>(sql: string, parameters: unknown[], request: () => Promise<T>): Promise<T> {
      const runner = service.db.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        await runner.query(sql, parameters);
        const pending = request();
        const deadline = Date.now() + 10_000;
        while ((await lockWaits()) === 0) {
          if (Date.now() > deadline) throw new Error("the request never waited for the concurrent write");
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await runner.commitTransaction();
        return await pending;
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    }

    const history = async (id: string): Promise<Array<[string | null, string]>> =>
      (
        await service.db.query(
          `SELECT from_stage_id AS "from", to_stage_id AS "to" FROM deal_stage_change WHERE deal_id = $1 ORDER BY changed_at, id`,
          [id],
        )
      ).map((row: { from: string | null; to: string }) => [row.from, row.to] as [string | null, string]);
    const MOVED_ELSEWHERE = `UPDATE pipeline_deal SET stage_id = $2, version = version + 1, updated_at = now() WHERE id = $1`;

    it("makes a move without expectedVersion decide again on the deal as it now is: its history leaves the stage the deal was really in", async () => {
      const deal = await referral();
      const result = await between(MOVED_ELSEWHERE, [deal.id, stages["referral:introduced"]], () =>
        service.http(
          `mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { data { ${LEAN} } } }`,
          { id: deal.id, stageId: stages["referral:meeting"] },
          { key: me.apiKey },
        ),
      );
      expect(dataOf(result).moveDeal.data).toMatchObject({ version: 3, stage: { key: "meeting" } });
      expect(await history(deal.id)).toEqual([
        [null, stages["referral:lead"]],
        [stages["referral:introduced"], stages["referral:meeting"]],
      ]);
      const [event] = await service.db.query(`SELECT details FROM deal_event WHERE deal_id = $1 AND kind = 'deal.stage_changed'`, [deal.id]);
      expect(event.details).toMatchObject({ fromStage: { key: "introduced" }, toStage: { key: "meeting" } });
      // The read; the write, which found version 2 and wrote nothing; the read again; the write (the
      // key is cached).
      expect(result.sql).toBe(4);
    });

    it("answers CONFLICT with the current version to a write whose expectedVersion another write just moved, writing nothing", async () => {
      const deal = await referral();
      const result = await between(MOVED_ELSEWHERE, [deal.id, stages["referral:introduced"]], () =>
        service.http(MOVE, { id: deal.id, stageId: stages["referral:meeting"], expectedVersion: 1 }, { key: me.apiKey }),
      );
      expect(errorOf(result).extensions).toMatchObject({ code: "CONFLICT", currentVersion: 2 });
      expect(await stored(deal.id)).toMatchObject({ version: 2, stage_id: stages["referral:introduced"] });
      expect(await historyRows(deal.id)).toBe(1);
      const events = await service.db.query(`SELECT kind FROM deal_event WHERE deal_id = $1`, [deal.id]);
      expect(events).toEqual([{ kind: "deal.created" }]);
    });

    it("replans an update's facilitators on the parties as they now are", async () => {
      const deal = await referral();
      // The new seeker was referred by the source, who would be a facilitator on the seeker's
      // side; but meanwhile the source became the provider, a party, so is no facilitator.
      const result = await between(
        `UPDATE pipeline_deal SET provider_id = $2, version = version + 1 WHERE id = $1`,
        [deal.id, sourceId],
        () => service.http(UPDATE_REFERRAL, { id: deal.id, input: { seekerId: otherPersonId } }, { key: me.apiKey }),
      );
      const data = dataOf(result).updateReferralOpportunity.data;
      expect(data).toMatchObject({ version: 3, seeker: { id: otherPersonId }, provider: { id: sourceId } });
      expect(data.facilitators).toEqual([{ userId: me.userId, role: "CONNECTOR", side: "SEEKER" }]);
      const rows = await service.db.query(`SELECT person_id FROM pipeline_deal_facilitator WHERE deal_id = $1`, [deal.id]);
      expect(rows).toEqual([{ person_id: me.userId }]);
    });

    it("applies concurrent moves without expectedVersion one after the other, with a history that chains", async () => {
      const deal = await opportunity();
      const targets = ["qualified", "survey", "proposal", "negotiation"];
      const results = await Promise.all(
        targets.map((key) => service.http(MOVE, { id: deal.id, stageId: stages[`sales:${key}`] }, { key: me.apiKey })),
      );
      expect(results.map((r) => r.body.errors)).toEqual(targets.map(() => undefined));
      expect(results.map((r) => dataOf(r).moveDeal.data.version).sort()).toEqual([2, 3, 4, 5]);
      const changes = await history(deal.id);
      expect(changes).toHaveLength(5);
      for (let i = 1; i < changes.length; i++) expect(changes[i][0]).toBe(changes[i - 1][1]);
      expect(new Set(changes.slice(1).map(([, to]) => to))).toEqual(new Set(targets.map((key) => stages[`sales:${key}`])));
      expect(await stored(deal.id)).toMatchObject({ version: 5, stage_id: changes[4][1] });
    });
  });

  describe("sharing under concurrency", () => {
    it("answers SHARED to every one of concurrent shares, each a version of its own, none lost", async () => {
      if (process.env.DEALGRAPH_TEST_EMBEDDED === "true") return; // one connection: no two requests run at once
      const deal = await opportunity();
      const targets = await Promise.all(Array.from({ length: 6 }, () => createWorkspace(service.db, me.organizationId)));
      const results = await Promise.all(
        targets.map((w) =>
          service.http(`mutation ($id: ID!, $w: ID!) { shareDeal(dealId: $id, workspaceId: $w) { data { version visibilityMode sharedWith { id } } } }`, { id: deal.id, w }, { key: me.apiKey }),
        ),
      );
      const answers = results.map((r) => dataOf(r).shareDeal.data);
      expect(answers.every((a) => a.visibilityMode === "SHARED")).toBe(true);
      expect(answers.map((a) => a.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
      // Each answer lists the shares as they stood when it committed: the last one has them all.
      expect(Math.max(...answers.map((a) => a.sharedWith.length))).toBe(6);
      expect(await stored(deal.id)).toMatchObject({ visibility_mode: "shared", version: 7 });
    });
  });

  describe("moveDeal", () => {
    it("moves a deal through five stages with an exact history and the time spent in each", async () => {
      const deal = await referral();
      const path = ["introduced", "meeting", "lost", "introduced", "won"];
      let version = 1;
      for (const key of path) {
        const result = await service.http(MOVE, { id: deal.id, stageId: stages[`referral:${key}`], expectedVersion: version }, { key: me.apiKey });
        const moved = dataOf(result).moveDeal;
        expect(moved).toMatchObject({ success: true, message: "Deal moved successfully", data: { stage: { key }, version: version + 1 } });
        version += 1;
      }
      const data = dataOf(await service.http(BY_ID, { id: deal.id }, { key: colleague.apiKey })).pipelineDeal;
      const history = data.stageHistory;
      expect(history.map((c: any) => [c.fromStage?.key ?? null, c.toStage.key])).toEqual([
        [null, "lead"],
        ["lead", "introduced"],
        ["introduced", "meeting"],
        ["meeting", "lost"],
        ["lost", "introduced"],
        ["introduced", "won"],
      ]);
      expect(history.every((c: any) => c.changedBy.id === me.userId)).toBe(true);
      // Microsecond-exact in the database; the DateTime strings carry milliseconds.
      for (let i = 1; i < history.length; i++) {
        const ms = new Date(history[i].changedAt).getTime() - new Date(history[i - 1].changedAt).getTime();
        expect(Math.abs(history[i].secondsInFromStage * 1000 - ms)).toBeLessThan(1);
        expect(history[i].secondsInFromStage).toBeGreaterThan(0);
      }
      expect(data.stageEnteredAt).toBe(history[5].changedAt);
      expect(data.closedAt).toBe(history[5].changedAt);
    });

    it("closes on won or lost and reopens when it leaves them, clearing the outcome fields that no longer apply", async () => {
      const deal = await opportunity();
      const lost = dataOf(await service.http(UPDATE_OPPORTUNITY, { id: deal.id, input: { stage: "LOST", lostReasonCategory: "TIMING", winLossReason: "Later" } }, { key: me.apiKey }))
        .updateOpportunity.data;
      expect(lost.closedAt).toBe(lost.stageEnteredAt);
      const won = dataOf(await service.http(MOVE, { id: deal.id, stageId: stages["sales:won"] }, { key: me.apiKey })).moveDeal.data;
      expect(won).toMatchObject({ probability: 100, winLossReason: "Later", lostReasonCategory: null });
      expect(won.closedAt).toBe(won.stageEnteredAt);
      const reopened = dataOf(await service.http(MOVE, { id: deal.id, stageId: stages["sales:survey"] }, { key: me.apiKey })).moveDeal.data;
      expect(reopened).toMatchObject({ closedAt: null, probability: 40, winLossReason: null, lostReasonCategory: null });
    });

    it("refuses a stage of another pipeline or none, naming stageId", async () => {
      const deal = await referral();
      for (const stage of [stages["sales:won"], "00000000-0000-4000-8000-000000000000", "nope"]) {
        expect(fieldPaths(await service.http(MOVE, { id: deal.id, stageId: stage }, { key: me.apiKey }))).toEqual(["stageId"]);
      }
      expect((await stored(deal.id)).version).toBe(1);
    });

    it("writes nothing when the deal is already in the stage, and moves in 2 statements", async () => {
      const deal = await referral();
      const same = await service.http(MOVE, { id: deal.id, stageId: stages["referral:lead"] }, { key: me.apiKey });
      expect(dataOf(same).moveDeal.data.version).toBe(1);
      const moved = await service.http(
        `mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { data { ${LEAN} closedAt stageEnteredAt } } }`,
        { id: deal.id, stageId: stages["referral:meeting"].toUpperCase() },
        { key: me.apiKey },
      );
      expect(dataOf(moved).moveDeal.data).toMatchObject({ version: 2, stage: { key: "meeting" } });
      // The deal with its stage, its workspace and the target stage; the update with its history and
      // events (no BEGIN/COMMIT: one statement is atomic by itself; the key is cached).
      expect(moved.sql).toBe(2);
    });

    it("answers a move with its stage history and who made each change in 3 statements", async () => {
      const deal = await referral();
      const full = `${DEAL} seeker { id company { name } } facilitators { id user { id } }
        stageHistory { fromStage { id key label } toStage { id key label } changedAt changedBy { id firstName lastName company { name } } }`;
      const query = `mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { data { ... on ReferralOpportunity { ${full} } } } }`;
      // Moved by a colleague, so the history names someone the deal does not (their key used
      // once before, so that it is cached, as for every budget).
      await service.http("{ me { id } }", {}, { key: colleague.apiKey });
      const moved = await service.http(query, { id: deal.id, stageId: stages["referral:meeting"] }, { key: colleague.apiKey });
      // The deal with its relations; the update; the history with its people and stages.
      expect(moved.sql).toBe(3);
      const history = dataOf(moved).moveDeal.data.stageHistory;
      expect(history.map((change: any) => [change.fromStage?.key ?? null, change.toStage.key, change.changedBy.id])).toEqual([
        [null, "lead", me.userId],
        ["lead", "meeting", colleague.userId],
      ]);
      const read = dataOf(await service.http(`query ($id: ID!) { pipelineDeal(id: $id) { ... on ReferralOpportunity { ${full} } } }`, { id: deal.id }, { key: me.apiKey }));
      expect(dataOf(moved).moveDeal.data).toEqual(read.pipelineDeal);
    });

    it("filters lists on closed", async () => {
      const open = await opportunity({ title: "Open one" });
      const closed = await opportunity({ title: "Closed one", stage: "WON" });
      const ids = async (closedFilter: boolean) =>
        dataOf(await service.http(`query ($f: OpportunityFilter) { opportunities(first: 100, filter: $f) { edges { node { id } } } }`, { f: { closed: closedFilter } }, { key: me.apiKey }))
          .opportunities.edges.map((e: any) => e.node.id);
      expect(await ids(true)).toContain(closed.id);
      expect(await ids(true)).not.toContain(open.id);
      expect(await ids(false)).toContain(open.id);
      expect(await ids(false)).not.toContain(closed.id);
    });
  });

  describe("archive and restore", () => {
    const listIds = async (filter: Record<string, unknown> | null) =>
      dataOf(await service.http(`query ($f: ReferralOpportunityFilter) { referralOpportunities(first: 100, filter: $f) { totalCount edges { node { id archivedAt } } } }`, { f: filter }, { key: me.apiKey }))
        .referralOpportunities.edges.map((e: any) => e.node.id);

    it("leaves archived deals out of lists unless asked for them alone; by id they still answer", async () => {
      const deal = await referral();
      dataOf(await service.http(`{ me { id } }`, {}, { key: colleague.apiKey })); // the colleague's key, now cached
      const archived = await service.http(
        `mutation ($id: ID!) { archiveDeal(id: $id, expectedVersion: 1) { success message data { ${LEAN} archivedAt } } }`,
        { id: deal.id },
        { key: colleague.apiKey },
      );
      expect(dataOf(archived).archiveDeal).toMatchObject({ success: true, message: "Deal archived successfully", data: { version: 2 } });
      // The deal; the update with its event (the key is cached).
      expect(archived.sql).toBe(2);
      expect(await listIds(null)).not.toContain(deal.id);
      expect(await listIds({ archived: true })).toEqual(expect.arrayContaining([deal.id]));
      expect((await listIds({ archived: true })).length).toBeGreaterThan(0);
      const byId = dataOf(await service.http(BY_ID, { id: deal.id }, { key: me.apiKey })).pipelineDeal;
      expect(byId).toMatchObject({ archivedBy: { id: colleague.userId }, version: 2 });
      expect(byId.archivedAt).toBe(dataOf(archived).archiveDeal.data.archivedAt);
    });

    it("is idempotent, refuses changes while archived with CONFLICT, and restores", async () => {
      const deal = await referral();
      await service.http(ARCHIVE, { id: deal.id }, { key: me.apiKey });
      const again = await service.http(ARCHIVE, { id: deal.id }, { key: me.apiKey });
      expect(dataOf(again).archiveDeal.data.version).toBe(2);
      for (const result of [
        await service.http(UPDATE_REFERRAL, { id: deal.id, input: { name: "No" } }, { key: me.apiKey }),
        await service.http(MOVE, { id: deal.id, stageId: stages["referral:won"] }, { key: me.apiKey }),
        await service.http(`mutation ($id: ID!, $w: ID!) { shareDeal(dealId: $id, workspaceId: $w) { success } }`, { id: deal.id, w: stranger.workspaceId }, { key: me.apiKey }),
      ]) {
        expect(errorOf(result).extensions!.code).toBe("CONFLICT");
        expect(errorOf(result).message).toMatch(/archived/);
      }
      const restored = dataOf(await service.http(RESTORE, { id: deal.id }, { key: me.apiKey })).restoreDeal.data;
      expect(restored).toMatchObject({ archivedAt: null, archivedBy: null, version: 3 });
      expect(dataOf(await service.http(RESTORE, { id: deal.id }, { key: me.apiKey })).restoreDeal.data.version).toBe(3);
      expect(await listIds(null)).toContain(deal.id);
    });
  });

  describe("atomicity", () => {
    it("leaves the deal unchanged when the write fails after its history entry", async () => {
      const deal = await referral();
      // A failure in the database after the history row is written: a deferred trigger, which
      // fires when the write's statement commits (there is no BEGIN/COMMIT around it).
      await service.db.query(`
        CREATE OR REPLACE FUNCTION fail_after_history() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
      await service.db.query(`
        CREATE CONSTRAINT TRIGGER fail_after_history AFTER INSERT ON deal_stage_change
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.deal_id = '${deal.id}') EXECUTE FUNCTION fail_after_history()`);
      try {
        const result = await service.http(MOVE, { id: deal.id, stageId: stages["referral:won"] }, { key: me.apiKey });
        expect(errorOf(result).extensions!.code).toBe("INTERNAL_SERVER_ERROR");
      } finally {
        await service.db.query(`DROP TRIGGER fail_after_history ON deal_stage_change`);
        await service.db.query(`DROP FUNCTION fail_after_history`);
      }
      const row = await stored(deal.id);
      expect(row).toMatchObject({ version: 1, stage_id: stages["referral:lead"], closed_at: null });
      expect(await historyRows(deal.id)).toBe(1);
      const events = await service.db.query(`SELECT kind FROM deal_event WHERE deal_id = $1`, [deal.id]);
      expect(events).toEqual([{ kind: "deal.created" }]);
    });

    it("writes no deal, history, facilitator or event when a create fails after its deal row", async () => {
      const events = async () => Number((await service.db.query(`SELECT count(*) AS n FROM deal_event WHERE organization_id = $1`, [me.organizationId]))[0].n);
      const before = await events();
      // A failure in the database when the facilitators are written, after the deal and its history in the same statement.
      await service.db.query(`
        CREATE OR REPLACE FUNCTION fail_on_facilitator() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
      await service.db.query(`
        CREATE TRIGGER fail_on_facilitator AFTER INSERT ON pipeline_deal_facilitator
          FOR EACH ROW WHEN (NEW.person_id = '${sourceId}') EXECUTE FUNCTION fail_on_facilitator()`);
      try {
        // The seeker was referred by the source: a REFERRAL_SOURCE facilitator is planned.
        const result = await service.http(CREATE_REFERRAL, { input: { seekerId: otherPersonId, providerId, name: "Never stored" } }, { key: me.apiKey });
        expect(errorOf(result).extensions!.code).toBe("INTERNAL_SERVER_ERROR");
      } finally {
        await service.db.query(`DROP TRIGGER fail_on_facilitator ON pipeline_deal_facilitator`);
        await service.db.query(`DROP FUNCTION fail_on_facilitator`);
      }
      expect(await service.db.query(`SELECT id FROM pipeline_deal WHERE organization_id = $1 AND name = 'Never stored'`, [me.organizationId])).toEqual([]);
      expect(await events()).toBe(before);
      const orphans = await service.db.query(
        `SELECT 1 FROM deal_stage_change change WHERE NOT EXISTS (SELECT 1 FROM pipeline_deal deal WHERE deal.id = change.deal_id)`,
      );
      expect(orphans).toEqual([]);
    });
  });

  describe("lists with history", () => {
    it("loads the history of a whole page in one more statement", async () => {
      for (let i = 0; i < 3; i++) await referral({ name: `Paged ${i}` });
      const query = (history: boolean) =>
        `{ referralOpportunities(first: 20) { edges { node { id ${history ? "stageHistory { toStage { key } changedBy { id } }" : ""} } } } }`;
      const without = await service.http(query(false), {}, { key: me.apiKey });
      const withHistory = await service.http(query(true), {}, { key: me.apiKey });
      expect(dataOf(withHistory).referralOpportunities.edges.length).toBeGreaterThan(3);
      // The history, and the stages and people it names (one statement each, whatever the page size).
      expect(withHistory.sql - without.sql).toBeLessThanOrEqual(3);
    });
  });
});
