import { freeKey, keyFromLabel } from "../src/modules/stage/stage.commands";
import { Pipeline } from "../src/modules/stage/stage.entity";
import { createCompany, createTenant, createUser, insertOpportunity, insertReferral, stageId, TestUser } from "./factories";
import { dataOf, errorOf, fieldPaths, useTestService } from "./support/harness";

const STAGES = `query ($pipeline: Pipeline!) { stages(pipeline: $pipeline) { id key label color description sortOrder probability isWon isLost deletedAt } }`;
const CREATE = `mutation ($pipeline: Pipeline!, $label: String!, $probability: Int!, $key: String, $color: String, $description: String, $position: Int) {
  createStage(pipeline: $pipeline, label: $label, probability: $probability, key: $key, color: $color, description: $description, position: $position) {
    success message data { id key label color description sortOrder probability isWon isLost } } }`;
const UPDATE = `mutation ($id: ID!, $label: String, $color: String, $description: String, $probability: Int) {
  updateStage(id: $id, label: $label, color: $color, description: $description, probability: $probability) {
    success data { id key label color description probability sortOrder } } }`;
const REORDER = `mutation ($pipeline: Pipeline!, $stageIds: [ID!]!) { reorderStages(pipeline: $pipeline, stageIds: $stageIds) { success data { id key sortOrder } } }`;
const DELETE = `mutation ($id: ID!, $moveDealsTo: ID) { deleteStage(id: $id, moveDealsTo: $moveDealsTo) { success movedDeals data { id key deletedAt } } }`;
const DEAL = `query ($id: ID!) { referralOpportunity(id: $id) { id version closedAt stage { key }
  stageHistory { fromStage { key deletedAt } toStage { key } } } }`;

/** Every organization shapes its own pipelines; only its admins may. */
describe("pipelines of each organization's own", () => {
  const service = useTestService();
  let admin: TestUser;
  let member: TestUser;
  let other: TestUser;

  const as = (user: TestUser) => (query: string, variables: Record<string, unknown> = {}) => service.http(query, variables, { key: user.apiKey });
  const keys = async (user: TestUser, pipeline = "REFERRAL") =>
    (dataOf(await as(user)(STAGES, { pipeline })).stages as Array<{ key: string }>).map((stage) => stage.key);

  beforeEach(async () => {
    admin = await createTenant(service.db);
    member = await createUser(service.db, admin.organizationId, admin.workspaceId);
    other = await createTenant(service.db);
  });

  it("gives every new organization the default stages, its own copy", async () => {
    const mine = dataOf(await as(admin)(STAGES, { pipeline: "REFERRAL" })).stages;
    const theirs = dataOf(await as(other)(STAGES, { pipeline: "REFERRAL" })).stages;
    expect(mine.map((s: any) => [s.key, s.label, s.color, s.sortOrder, s.probability, s.isWon, s.isLost])).toEqual([
      ["lead", "Lead", "#3B82F6", 1, 10, false, false],
      ["introduced", "Introduced", "#8B5CF6", 2, 30, false, false],
      ["meeting", "Meeting", "#F59E0B", 3, 50, false, false],
      ["won", "Won", "#10B981", 4, 100, true, false],
      ["lost", "Lost", "#EF4444", 5, 0, false, true],
    ]);
    expect(await keys(admin, "SALES")).toEqual(["lead", "qualified", "survey", "proposal", "negotiation", "won", "lost"]);
    expect(theirs.map((s: any) => s.key)).toEqual(mine.map((s: any) => s.key));
    expect(theirs.some((s: any) => mine.some((m: any) => m.id === s.id))).toBe(false);
  });

  it("lets an admin add a stage, by default after the last open stage, with a key made from its label", async () => {
    const created = dataOf(await as(admin)(CREATE, { pipeline: "REFERRAL", label: "  Proposal sent! ", probability: 70, color: "#abcdef" })).createStage;
    expect(created).toMatchObject({
      success: true,
      message: "Stage created successfully",
      data: { key: "proposal_sent", label: "Proposal sent!", color: "#ABCDEF", description: null, sortOrder: 4, probability: 70, isWon: false, isLost: false },
    });
    expect(await keys(admin)).toEqual(["lead", "introduced", "meeting", "proposal_sent", "won", "lost"]);
    const first = dataOf(await as(admin)(CREATE, { pipeline: "REFERRAL", label: "Proposal sent", probability: 5, position: 1, key: null })).createStage.data;
    expect(first).toMatchObject({ key: "proposal_sent_2", sortOrder: 1, color: "#64748B" });
    const stages = dataOf(await as(admin)(STAGES, { pipeline: "REFERRAL" })).stages;
    expect(stages.map((s: any) => [s.key, s.sortOrder])).toEqual([
      ["proposal_sent_2", 1], ["lead", 2], ["introduced", 3], ["meeting", 4], ["proposal_sent", 5], ["won", 6], ["lost", 7],
    ]);
    // The other organization's pipeline is untouched.
    expect(await keys(other)).toEqual(["lead", "introduced", "meeting", "won", "lost"]);
  });

  it("refuses bad stage input naming each field, and writes nothing", async () => {
    const before = await keys(admin);
    expect(fieldPaths(await as(admin)(CREATE, { pipeline: "REFERRAL", label: " ", probability: 101, color: "blue", key: "Not A Key", position: 0 }))).toEqual([
      "color", "key", "label", "position", "probability",
    ]);
    expect(fieldPaths(await as(admin)(CREATE, { pipeline: "REFERRAL", label: "Late", probability: 1, key: "lead", position: 7 }))).toEqual(["key", "position"]);
    const sales = await as(admin)(CREATE, { pipeline: "SALES", label: "Extra", probability: 1 });
    expect(fieldPaths(sales)).toEqual(["pipeline"]);
    expect(errorOf(sales).extensions!.fields[0].message).toMatch(/SALES pipeline's stages are the opportunity stages/);
    expect(await keys(admin)).toEqual(before);
    expect(await keys(admin, "SALES")).toEqual(["lead", "qualified", "survey", "proposal", "negotiation", "won", "lost"]);
  });

  it("refuses every shaping mutation to a member with FORBIDDEN, and writes nothing", async () => {
    const lead = await stageId(service.db, admin.organizationId, Pipeline.REFERRAL, "lead");
    const meeting = await stageId(service.db, admin.organizationId, Pipeline.REFERRAL, "meeting");
    for (const [query, variables] of [
      [CREATE, { pipeline: "REFERRAL", label: "Nope", probability: 1 }],
      [UPDATE, { id: lead, label: "Nope" }],
      [REORDER, { pipeline: "REFERRAL", stageIds: [] }],
      [DELETE, { id: meeting }],
    ] as const) {
      const result = await as(member)(query, variables);
      expect(errorOf(result).extensions!.code).toBe("FORBIDDEN");
      expect(errorOf(result).message).toMatch(/organization admin/);
    }
    const stages = dataOf(await as(admin)(STAGES, { pipeline: "REFERRAL" })).stages;
    expect(stages.map((s: any) => [s.key, s.label])).toEqual([["lead", "Lead"], ["introduced", "Introduced"], ["meeting", "Meeting"], ["won", "Won"], ["lost", "Lost"]]);
  });

  it("relabels a stage of either pipeline with patch semantics; another organization's stage is not found", async () => {
    const proposal = await stageId(service.db, admin.organizationId, Pipeline.SALES, "proposal");
    const updated = dataOf(await as(admin)(UPDATE, { id: proposal, label: "Offer", color: "#123abc", probability: 65 })).updateStage.data;
    expect(updated).toEqual({ id: proposal, key: "proposal", label: "Offer", color: "#123ABC", description: "A proposal has been sent.", probability: 65, sortOrder: 4 });
    const cleared = dataOf(await as(admin)(UPDATE, { id: proposal, description: null })).updateStage.data;
    expect(cleared).toMatchObject({ label: "Offer", description: null, probability: 65 });
    expect(fieldPaths(await as(admin)(UPDATE, { id: proposal, label: null, probability: -1 }))).toEqual(["label", "probability"]);
    const theirs = await stageId(service.db, other.organizationId, Pipeline.SALES, "proposal");
    expect(errorOf(await as(admin)(UPDATE, { id: theirs, label: "Mine" })).extensions!.code).toBe("NOT_FOUND");
    expect(dataOf(await as(other)(STAGES, { pipeline: "SALES" })).stages[3].label).toBe("Proposal");
  });

  it("reorders the REFERRAL pipeline when every live stage is named once", async () => {
    const stages = dataOf(await as(admin)(STAGES, { pipeline: "REFERRAL" })).stages as Array<{ id: string; key: string }>;
    const byKey = Object.fromEntries(stages.map((s) => [s.key, s.id]));
    const order = ["meeting", "lead", "introduced", "won", "lost"].map((key) => byKey[key]);
    const result = dataOf(await as(admin)(REORDER, { pipeline: "REFERRAL", stageIds: order })).reorderStages;
    expect(result.data.map((s: any) => [s.key, s.sortOrder])).toEqual([["meeting", 1], ["lead", 2], ["introduced", 3], ["won", 4], ["lost", 5]]);
    expect(await keys(admin)).toEqual(["meeting", "lead", "introduced", "won", "lost"]);

    const missing = await as(admin)(REORDER, { pipeline: "REFERRAL", stageIds: order.slice(1) });
    expect(fieldPaths(missing)).toEqual(["stageIds"]);
    expect(errorOf(missing).extensions!.fields[0].message).toMatch(/missing: Meeting/);
    const foreign = await stageId(service.db, other.organizationId, Pipeline.REFERRAL, "lead");
    expect(fieldPaths(await as(admin)(REORDER, { pipeline: "REFERRAL", stageIds: [...order.slice(1), foreign] }))).toEqual(["stageIds", "stageIds"]);
    expect(fieldPaths(await as(admin)(REORDER, { pipeline: "REFERRAL", stageIds: [...order, order[0]] }))).toEqual(["stageIds"]);
    expect(fieldPaths(await as(admin)(REORDER, { pipeline: "REFERRAL", stageIds: [...order, order[1].toUpperCase()] }))).toEqual(["stageIds"]);
    const salesIds = (dataOf(await as(admin)(STAGES, { pipeline: "SALES" })).stages as Array<{ id: string }>).map((s) => s.id);
    expect(fieldPaths(await as(admin)(REORDER, { pipeline: "SALES", stageIds: salesIds.reverse() }))).toEqual(["pipeline"]);
    expect(await keys(admin)).toEqual(["meeting", "lead", "introduced", "won", "lost"]);
  });

  it("deletes a stage by moving its deals, each move in its history, in one transaction", async () => {
    const where = { organizationId: admin.organizationId, workspaceId: admin.workspaceId, ownerId: admin.userId };
    const meeting = await stageId(service.db, admin.organizationId, Pipeline.REFERRAL, "meeting");
    const won = await stageId(service.db, admin.organizationId, Pipeline.REFERRAL, "won");
    const held = [await insertReferral(service.db, where, { stageId: meeting }), await insertReferral(service.db, where, { stageId: meeting, archivedAt: new Date(), archivedById: admin.userId } as never)];
    const bystander = await insertReferral(service.db, where);
    await service.db.query(
      `INSERT INTO deal_stage_change (organization_id, deal_id, from_stage_id, to_stage_id, changed_by_id)
       SELECT organization_id, id, NULL, stage_id, owner_id FROM pipeline_deal WHERE id = ANY($1)`,
      [[...held, bystander].map((d) => d.id)],
    );

    const unnamed = await as(admin)(DELETE, { id: meeting });
    expect(fieldPaths(unnamed)).toEqual(["moveDealsTo"]);
    expect(errorOf(unnamed).extensions!.fields[0].message).toMatch(/holds 2 deals/);
    expect(fieldPaths(await as(admin)(DELETE, { id: meeting, moveDealsTo: meeting }))).toEqual(["moveDealsTo"]);
    const salesWon = await stageId(service.db, admin.organizationId, Pipeline.SALES, "won");
    expect(fieldPaths(await as(admin)(DELETE, { id: meeting, moveDealsTo: salesWon }))).toEqual(["moveDealsTo"]);
    expect(await keys(admin)).toContain("meeting");

    const deleted = dataOf(await as(admin)(DELETE, { id: meeting, moveDealsTo: won })).deleteStage;
    expect(deleted).toMatchObject({ success: true, movedDeals: 2, data: { id: meeting, key: "meeting", deletedAt: expect.any(String) } });
    expect(await keys(admin)).toEqual(["lead", "introduced", "won", "lost"]);
    expect(dataOf(await as(admin)(STAGES, { pipeline: "REFERRAL" })).stages.map((s: any) => s.sortOrder)).toEqual([1, 2, 3, 4]);
    for (const deal of held) {
      const after = dataOf(await as(admin)(DEAL, { id: deal.id })).referralOpportunity;
      expect(after).toMatchObject({ version: 2, closedAt: expect.any(String), stage: { key: "won" } });
      expect(after.stageHistory).toEqual([
        { fromStage: null, toStage: { key: "meeting" } },
        { fromStage: { key: "meeting", deletedAt: expect.any(String) }, toStage: { key: "won" } },
      ]);
    }
    const events = await service.db.query(`SELECT deal_id, details->'fromStage'->>'key' AS from_key FROM deal_event WHERE kind = 'deal.stage_changed' AND deal_id = ANY($1)`, [
      held.map((d) => d.id),
    ]);
    expect(events.map((e: any) => e.from_key)).toEqual(["meeting", "meeting"]);
    expect(dataOf(await as(admin)(DEAL, { id: bystander.id })).referralOpportunity).toMatchObject({ version: 1, stage: { key: "lead" } });

    // A deleted stage takes no deal, whatever writes it.
    await expect(service.db.query(`UPDATE pipeline_deal SET stage_id = $2 WHERE id = $1`, [bystander.id, meeting])).rejects.toThrow(/not a live stage/);
    expect(errorOf(await as(admin)(`mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { success } }`, { id: bystander.id, stageId: meeting })).extensions!.code).toBe(
      "BAD_USER_INPUT",
    );
    expect(errorOf(await as(admin)(DELETE, { id: meeting })).extensions!.code).toBe("NOT_FOUND");
    expect(errorOf(await as(admin)(`query ($id: ID!) { pipelineColumn(stageId: $id) { stage { id } } }`, { id: meeting })).extensions!.code).toBe("NOT_FOUND");
  });

  it("keeps exactly one won and one lost stage and at least one open stage", async () => {
    const id = (key: string) => stageId(service.db, admin.organizationId, Pipeline.REFERRAL, key);
    for (const key of ["won", "lost"]) {
      const result = await as(admin)(DELETE, { id: await id(key), moveDealsTo: await id("lead") });
      expect(fieldPaths(result)).toEqual(["id"]);
      expect(errorOf(result).extensions!.fields[0].constraint).toBe("keepsClosingStages");
    }
    expect(dataOf(await as(admin)(DELETE, { id: await id("meeting") })).deleteStage.movedDeals).toBe(0);
    expect(dataOf(await as(admin)(DELETE, { id: await id("introduced") })).deleteStage.success).toBe(true);
    const last = await as(admin)(DELETE, { id: await id("lead") });
    expect(errorOf(last).extensions!.fields[0].constraint).toBe("keepsOpenStage");
    expect(await keys(admin)).toEqual(["lead", "won", "lost"]);
    const sales = await as(admin)(DELETE, { id: await stageId(service.db, admin.organizationId, Pipeline.SALES, "survey") });
    expect(errorOf(sales).extensions!.fields[0].constraint).toBe("fixedPipeline");

    // The database holds the same line whatever writes: checked at commit.
    await expect(service.db.query(`UPDATE stage SET deleted_at = now() WHERE organization_id = $1 AND pipeline = 'referral' AND key = 'lead'`, [admin.organizationId])).rejects.toThrow(
      /must keep exactly one won and one lost stage and at least one open stage/,
    );
    await expect(
      service.db.query(`UPDATE stage SET is_won = true, is_lost = false WHERE organization_id = $1 AND pipeline = 'sales' AND key = 'lost'`, [admin.organizationId]),
    ).rejects.toThrow(/must keep exactly one won/);
    expect(await keys(admin)).toEqual(["lead", "won", "lost"]);
  });

  it("scopes every stage read and write by organization: moves, opportunities and filters use the caller's own stages", async () => {
    const theirs = await stageId(service.db, other.organizationId, Pipeline.REFERRAL, "introduced");
    const where = { organizationId: admin.organizationId, workspaceId: admin.workspaceId, ownerId: admin.userId };
    const deal = await insertReferral(service.db, where);
    const moved = await as(admin)(`mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { success } }`, { id: deal.id, stageId: theirs });
    expect(fieldPaths(moved)).toEqual(["stageId"]);
    // Opportunities take the stage by key: the caller's own copy, as relabelled.
    const customer = await createCompany(service.db, admin.organizationId);
    const opportunity = await insertOpportunity(service.db, where, { customerId: customer.id });
    expect((await service.db.query(`SELECT organization_id FROM stage WHERE id = $1`, [opportunity.stageId]))[0].organization_id).toBe(admin.organizationId);
    const list = await as(admin)(`query { opportunities(filter: { stage: LEAD }) { totalCount } }`);
    expect(dataOf(list).opportunities.totalCount).toBe(1);
    expect(dataOf(await as(other)(`query { opportunities(filter: { stage: LEAD }) { totalCount } }`)).opportunities.totalCount).toBe(0);
  });

  it("makes keys from labels", () => {
    expect(keyFromLabel("Proposal sent!")).toBe("proposal_sent");
    expect(keyFromLabel("Über-Call")).toBe("uber_call");
    expect(keyFromLabel("2nd call")).toBe("stage_2nd_call");
    expect(keyFromLabel("!!!")).toBe("stage");
    expect(keyFromLabel("x".repeat(60))).toHaveLength(40);
    expect(freeKey("lead", new Set(["lead", "lead_2"]))).toBe("lead_3");
    expect(freeKey("demo", new Set(["lead"]))).toBe("demo");
  });
});

const describeOnServer = process.env.DEALGRAPH_TEST_EMBEDDED === "true" ? describe.skip : describe;

/** Needs two connections at once, which only a PostgreSQL server gives (the embedded database serves one). */
describeOnServer("a stage deleted while a deal moves into it", () => {
  const service = useTestService();

  it("makes the move wait for the deletion and then refuse with CONFLICT (STAGE_DELETED), so no deal is left in a deleted stage", async () => {
    const admin = await createTenant(service.db);
    const where = { organizationId: admin.organizationId, workspaceId: admin.workspaceId, ownerId: admin.userId };
    const deal = await insertReferral(service.db, where);
    const meeting = await stageId(service.db, admin.organizationId, Pipeline.REFERRAL, "meeting");
    const deleting = service.db.createQueryRunner();
    await deleting.connect();
    await deleting.startTransaction();
    try {
      await deleting.query(`UPDATE stage SET deleted_at = now() WHERE organization_id = $1 AND id = $2`, [admin.organizationId, meeting]);
      const move = service.http(`mutation ($id: ID!, $stageId: ID!) { moveDeal(id: $id, stageId: $stageId) { success } }`, { id: deal.id, stageId: meeting }, { key: admin.apiKey });
      // The move reads the stage as live (the deletion is not committed), then waits on its row lock.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await deleting.commitTransaction();
      const error = errorOf(await move);
      expect(error.extensions).toMatchObject({ code: "CONFLICT", reason: "STAGE_DELETED" });
    } finally {
      if (deleting.isTransactionActive) await deleting.rollbackTransaction();
      await deleting.release();
    }
    const [row] = await service.db.query(`SELECT stage_id, version FROM pipeline_deal WHERE id = $1`, [deal.id]);
    expect(row.stage_id).not.toBe(meeting);
  });
});
