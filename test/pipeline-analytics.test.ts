import { VisibilityMode } from "../src/modules/deal/deal.enums";
import { windowProblems } from "../src/modules/pipeline/pipeline-analytics";
import { createCompany, createTenant, createUser, createWorkspace, insertOpportunity, insertReferral, TestUser } from "./factories";
import { dataOf, errorOf, fieldPaths, useTestService } from "./support/harness";

const FORECAST = `query Forecast($pipeline: Pipeline!, $from: DateTimeISO!, $to: DateTimeISO!, $groupBy: ForecastGrouping) {
  pipelineForecast(pipeline: $pipeline, from: $from, to: $to, groupBy: $groupBy) {
    pipeline groupBy
    periods { label startsAt endsAt openCount openValue { currency amount } weightedValue { currency amount } wonCount wonValue { currency amount } }
  } }`;
const FLOW = `query Flow($pipeline: Pipeline!, $from: DateTimeISO!, $to: DateTimeISO!) {
  pipelineFlow(pipeline: $pipeline, from: $from, to: $to) {
    pipeline from to
    stages { stage { id key } entered leftForward leftBackward medianSeconds p90Seconds }
  } }`;

const DAY = 86_400;

/** An empty period of a forecast. */
const empty = (label: string) => ({ label, openCount: 0, openValue: [], weightedValue: [], wonCount: 0, wonValue: [] });

describe("pipelineForecast and pipelineFlow", () => {
  const service = useTestService();
  let me: TestUser;
  let stages: Record<string, Record<string, string>>;
  let mine: { organizationId: string; workspaceId: string; ownerId: string };
  let theirs: { organizationId: string; workspaceId: string; ownerId: string };
  let outsider: TestUser;

  beforeAll(async () => {
    me = await createTenant(service.db);
    stages = {};
    for (const pipeline of ["REFERRAL", "SALES"]) {
      const { stages: list } = dataOf(await service.http(`{ stages(pipeline: ${pipeline}) { id key } }`, {}, { key: me.apiKey }));
      stages[pipeline] = Object.fromEntries(list.map((stage: { id: string; key: string }) => [stage.key, stage.id]));
    }
    mine = { organizationId: me.organizationId, workspaceId: me.workspaceId, ownerId: me.userId };
    const elsewhere = await createWorkspace(service.db, me.organizationId, "Elsewhere");
    const colleague = await createUser(service.db, me.organizationId, elsewhere);
    theirs = { organizationId: me.organizationId, workspaceId: elsewhere, ownerId: colleague.userId };
    outsider = await createTenant(service.db);
  });

  describe("pipelineForecast", () => {
    beforeAll(async () => {
      const customerId = (await createCompany(service.db, me.organizationId)).id;
      const opportunity = (stage: string, values: Record<string, unknown>, where = mine, customer = customerId) =>
        insertOpportunity(service.db, where, { customerId: customer, stageId: stages.SALES[stage], ...values });
      const closes = (iso: string) => ({ expectedCloseDate: new Date(iso) });
      // Open, closing in January: 1000 USD at 10%, 500 EUR at 60% (the last hour of January).
      await opportunity("lead", { ...closes("2026-01-15T00:00:00Z"), value: "1000", currency: "USD", probability: 10 });
      await opportunity("proposal", { ...closes("2026-01-31T23:00:00Z"), value: "500", currency: "EUR", probability: 60 });
      // Open, closing at the first instant of March: 2000 USD at 80%.
      await opportunity("negotiation", { ...closes("2026-03-01T00:00:00Z"), value: "2000", currency: "USD", probability: 80 });
      // Open, closing in May, without a value.
      await opportunity("qualified", { ...closes("2026-05-05T00:00:00Z"), value: null, probability: 25 });
      // Open without an expected close date; closing at the window's end (excluded): in no period.
      await opportunity("lead", { value: "3", probability: 10 });
      await opportunity("lead", { ...closes("2026-07-01T00:00:00Z"), value: "4", probability: 10 });
      // Won in February (700 USD), and on the last second of 2025 (outside).
      await opportunity("won", { ...closes("2026-01-10T00:00:00Z"), value: "700", currency: "USD", probability: 100, closedAt: new Date("2026-02-10T12:00:00Z") });
      await opportunity("won", { value: "5", probability: 100, closedAt: new Date("2025-12-31T23:59:59Z") });
      // Lost in March and closing in March: neither open nor won.
      await opportunity("lost", { ...closes("2026-03-10T00:00:00Z"), value: "6", probability: 0, closedAt: new Date("2026-03-11T00:00:00Z") });
      // Archived, open in February and won in February: counted nowhere.
      const archived = { archivedAt: new Date(), archivedById: me.userId };
      await opportunity("lead", { ...closes("2026-02-02T00:00:00Z"), value: "7", probability: 10, ...archived });
      await opportunity("won", { value: "8", probability: 100, closedAt: new Date("2026-02-03T00:00:00Z"), ...archived });
      // Not visible: another workspace's WORKSPACE_LOCAL deals, another organization's GLOBAL ones.
      await opportunity("lead", { ...closes("2026-01-20T00:00:00Z"), value: "9", probability: 10, visibilityMode: VisibilityMode.WORKSPACE_LOCAL }, theirs);
      await opportunity("won", { value: "10", probability: 100, closedAt: new Date("2026-02-04T00:00:00Z"), visibilityMode: VisibilityMode.WORKSPACE_LOCAL }, theirs);
      const outside = { organizationId: outsider.organizationId, workspaceId: outsider.workspaceId, ownerId: outsider.userId };
      const outsideCustomer = (await createCompany(service.db, outsider.organizationId)).id;
      const { stages: outsiderStages } = dataOf(await service.http(`{ stages(pipeline: SALES) { id key } }`, {}, { key: outsider.apiKey }));
      const outsiderLead = outsiderStages.find((stage: { key: string }) => stage.key === "lead").id;
      await insertOpportunity(service.db, outside, {
        customerId: outsideCustomer,
        stageId: outsiderLead,
        ...closes("2026-01-21T00:00:00Z"),
        value: "11",
        probability: 10,
        visibilityMode: VisibilityMode.GLOBAL,
      });
    });

    const forecast = async (variables: Record<string, unknown>) =>
      dataOf(await service.http(FORECAST, { pipeline: "SALES", ...variables }, { key: me.apiKey })).pipelineForecast;

    it("counts open deals by the month of their expected close date and won deals by the month they closed, every month listed", async () => {
      const result = await forecast({ from: "2026-01-01T00:00:00Z", to: "2026-07-01T00:00:00Z" });
      expect(result).toMatchObject({ pipeline: "SALES", groupBy: "MONTH" });
      expect(result.periods).toEqual([
        {
          label: "2026-01",
          startsAt: "2026-01-01T00:00:00.000Z",
          endsAt: "2026-02-01T00:00:00.000Z",
          openCount: 2,
          openValue: [{ currency: "EUR", amount: "500" }, { currency: "USD", amount: "1000" }],
          weightedValue: [{ currency: "EUR", amount: "300" }, { currency: "USD", amount: "100" }],
          wonCount: 0,
          wonValue: [],
        },
        { ...empty("2026-02"), startsAt: "2026-02-01T00:00:00.000Z", endsAt: "2026-03-01T00:00:00.000Z", wonCount: 1, wonValue: [{ currency: "USD", amount: "700" }] },
        {
          ...empty("2026-03"),
          startsAt: "2026-03-01T00:00:00.000Z",
          endsAt: "2026-04-01T00:00:00.000Z",
          openCount: 1,
          openValue: [{ currency: "USD", amount: "2000" }],
          weightedValue: [{ currency: "USD", amount: "1600" }],
        },
        { ...empty("2026-04"), startsAt: "2026-04-01T00:00:00.000Z", endsAt: "2026-05-01T00:00:00.000Z" },
        // A deal without a value is counted and adds no amount.
        { ...empty("2026-05"), startsAt: "2026-05-01T00:00:00.000Z", endsAt: "2026-06-01T00:00:00.000Z", openCount: 1 },
        { ...empty("2026-06"), startsAt: "2026-06-01T00:00:00.000Z", endsAt: "2026-07-01T00:00:00.000Z" },
      ]);
    });

    it("groups by quarter, each whole, from the quarter containing from to the one containing the last instant before to", async () => {
      const result = await forecast({ from: "2026-02-15T00:00:00Z", to: "2026-04-01T00:00:01Z", groupBy: "QUARTER" });
      expect(result.groupBy).toBe("QUARTER");
      expect(result.periods).toEqual([
        {
          label: "2026-Q1",
          startsAt: "2026-01-01T00:00:00.000Z",
          endsAt: "2026-04-01T00:00:00.000Z",
          openCount: 3,
          openValue: [{ currency: "EUR", amount: "500" }, { currency: "USD", amount: "3000" }],
          weightedValue: [{ currency: "EUR", amount: "300" }, { currency: "USD", amount: "1700" }],
          wonCount: 1,
          wonValue: [{ currency: "USD", amount: "700" }],
        },
        { ...empty("2026-Q2"), startsAt: "2026-04-01T00:00:00.000Z", endsAt: "2026-07-01T00:00:00.000Z", openCount: 1 },
      ]);
      const single = await forecast({ from: "2026-05-20T00:00:00Z", to: "2026-05-20T00:00:00Z", groupBy: "QUARTER" });
      expect(single.periods.map((period: { label: string }) => period.label)).toEqual(["2026-Q2"]);
      const quarterEnd = await forecast({ from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z", groupBy: "QUARTER" });
      expect(quarterEnd.periods.map((period: { label: string }) => period.label)).toEqual(["2026-Q1"]);
    });

    it("lists every month of a long window, empty ones with zeros, and a REFERRAL forecast counts won referrals", async () => {
      const decade = await forecast({ from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z" });
      expect(decade.periods).toHaveLength(120);
      expect(decade.periods[0]).toEqual({ ...empty("2020-01"), startsAt: "2020-01-01T00:00:00.000Z", endsAt: "2020-02-01T00:00:00.000Z" });
      expect(decade.periods.filter((period: { wonCount: number }) => period.wonCount > 0).map((period: { label: string }) => period.label)).toEqual([
        "2025-12",
        "2026-02",
      ]);
      await insertReferral(service.db, mine, { stageId: stages.REFERRAL.won, value: "42", closedAt: new Date("2026-02-20T00:00:00Z") });
      const referrals = dataOf(await service.http(FORECAST, { pipeline: "REFERRAL", from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z" }, { key: me.apiKey }))
        .pipelineForecast.periods;
      expect(referrals).toEqual([
        { ...empty("2026-01"), startsAt: "2026-01-01T00:00:00.000Z", endsAt: "2026-02-01T00:00:00.000Z" },
        { ...empty("2026-02"), startsAt: "2026-02-01T00:00:00.000Z", endsAt: "2026-03-01T00:00:00.000Z", wonCount: 1, wonValue: [{ currency: "USD", amount: "42" }] },
      ]);
    });

    it("shows another organization only its own deals", async () => {
      const theirs = dataOf(await service.http(FORECAST, { pipeline: "SALES", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }, { key: outsider.apiKey }));
      expect(theirs.pipelineForecast.periods).toEqual([
        {
          ...empty("2026-01"),
          startsAt: "2026-01-01T00:00:00.000Z",
          endsAt: "2026-02-01T00:00:00.000Z",
          openCount: 1,
          openValue: [{ currency: "USD", amount: "11" }],
          weightedValue: [{ currency: "USD", amount: "1.1" }],
        },
      ]);
    });

    it("costs the stages and one statement", async () => {
      await service.http(`{ me { id } }`, {}, { key: me.apiKey }); // the key is known from here on: no statement
      const result = await service.http(FORECAST, { pipeline: "SALES", from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z" }, { key: me.apiKey });
      expect(result.sql).toBe(2);
    });
  });

  describe("pipelineFlow", () => {
    const ids: Record<string, string> = {};

    /** A referral deal with the given history: [stage key, when it entered it], the first its creation. */
    async function withHistory(name: string, history: Array<[string, string]>, where = mine, stageIds = stages.REFERRAL) {
      const [current] = history[history.length - 1];
      const deal = await insertReferral(service.db, where, { name, stageId: stageIds[current] });
      await service.db.query(`UPDATE pipeline_deal SET created_at = $2, stage_entered_at = $3 WHERE id = $1`, [deal.id, history[0][1], history[history.length - 1][1]]);
      let from: string | null = null;
      for (const [key, at] of history) {
        await service.db.query(
          `INSERT INTO deal_stage_change (organization_id, deal_id, from_stage_id, to_stage_id, changed_at, changed_by_id) VALUES ($1, $2, $3, $4, $5, $6)`,
          [where.organizationId, deal.id, from, stageIds[key], at, where.ownerId],
        );
        from = stageIds[key];
      }
      ids[name] = deal.id;
    }

    beforeAll(async () => {
      // The window is March 2026.
      // A: 10 days in lead (left in the window), 3 in introduced, 1 in meeting, back to introduced.
      await withHistory("A", [
        ["lead", "2026-02-20T00:00:00Z"],
        ["introduced", "2026-03-02T00:00:00Z"],
        ["meeting", "2026-03-05T00:00:00Z"],
        ["introduced", "2026-03-06T00:00:00Z"],
      ]);
      // B: made in the window, 2 days in lead; left introduced for won after the window.
      await withHistory("B", [
        ["lead", "2026-03-10T00:00:00Z"],
        ["introduced", "2026-03-12T00:00:00Z"],
        ["won", "2026-04-02T00:00:00Z"],
      ]);
      // C: 78.5 days in lead, then lost (a later stage: forward).
      await withHistory("C", [
        ["lead", "2026-01-01T00:00:00Z"],
        ["lost", "2026-03-20T12:00:00Z"],
      ]);
      // F: made at the window's first instant, moved at its end (not part of it).
      await withHistory("F", [
        ["lead", "2026-03-01T00:00:00Z"],
        ["introduced", "2026-04-01T00:00:00Z"],
      ]);
      // Not visible: another workspace's WORKSPACE_LOCAL deal; another organization's GLOBAL one.
      await withHistory("Theirs", [
        ["lead", "2026-03-03T00:00:00Z"],
        ["meeting", "2026-03-04T00:00:00Z"],
      ], theirs);
      const { stages: list } = dataOf(await service.http(`{ stages(pipeline: REFERRAL) { id key } }`, {}, { key: outsider.apiKey }));
      const outsiderStages = Object.fromEntries(list.map((stage: { id: string; key: string }) => [stage.key, stage.id]));
      const outside = { organizationId: outsider.organizationId, workspaceId: outsider.workspaceId, ownerId: outsider.userId };
      await withHistory("Outsider's", [
        ["lead", "2026-03-03T00:00:00Z"],
        ["meeting", "2026-03-04T00:00:00Z"],
      ], outside, outsiderStages);
      await service.db.query(`UPDATE pipeline_deal SET visibility_mode = 'global' WHERE id = $1`, [ids["Outsider's"]]);
    });

    const flow = async (variables: Record<string, unknown>, key = me.apiKey) =>
      dataOf(await service.http(FLOW, { pipeline: "REFERRAL", ...variables }, { key })).pipelineFlow;

    it("counts entries and departures forward and backward per stage, with the median and 90th percentile of the stays", async () => {
      const result = await flow({ from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z" });
      expect(result).toMatchObject({ pipeline: "REFERRAL", from: "2026-03-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" });
      const rows = result.stages.map(({ stage, ...rest }: { stage: { key: string } }) => ({ key: stage.key, ...rest }));
      // lead: stays of 10 days (A), 2 days (B) and 78.5 days (C); p90 interpolates 80% of the way from 10 to 78.5 days.
      expect(rows).toEqual([
        { key: "lead", entered: 2, leftForward: 3, leftBackward: 0, medianSeconds: 10 * DAY, p90Seconds: 10 * DAY + 0.8 * 68.5 * DAY },
        { key: "introduced", entered: 3, leftForward: 1, leftBackward: 0, medianSeconds: 3 * DAY, p90Seconds: 3 * DAY },
        { key: "meeting", entered: 1, leftForward: 0, leftBackward: 1, medianSeconds: DAY, p90Seconds: DAY },
        { key: "won", entered: 0, leftForward: 0, leftBackward: 0, medianSeconds: null, p90Seconds: null },
        { key: "lost", entered: 1, leftForward: 0, leftBackward: 0, medianSeconds: null, p90Seconds: null },
      ]);
    });

    it("measures a stay as the deal's stage history does", async () => {
      const history = dataOf(await service.http(`query ($id: ID!) { pipelineDeal(id: $id) { stageHistory { secondsInFromStage } } }`, { id: ids.A }, { key: me.apiKey }));
      expect(history.pipelineDeal.stageHistory.map((entry: { secondsInFromStage: number | null }) => entry.secondsInFromStage)).toEqual([null, 10 * DAY, 3 * DAY, DAY]);
    });

    it("counts the window's first instant and not its end", async () => {
      const april = await flow({ from: "2026-04-01T00:00:00Z", to: "2026-05-01T00:00:00Z" });
      const byKey = Object.fromEntries(april.stages.map((row: { stage: { key: string } }) => [row.stage.key, row]));
      // F's move and B's win are April's.
      expect(byKey.introduced).toMatchObject({ entered: 1, leftForward: 1, medianSeconds: 21 * DAY });
      expect(byKey.lead).toMatchObject({ entered: 0, leftForward: 1, medianSeconds: 31 * DAY });
      expect(byKey.won.entered).toBe(1);
      const empty = await flow({ from: "2026-03-01T00:00:00Z", to: "2026-03-01T00:00:00Z" });
      expect(empty.stages.every((row: { entered: number; leftForward: number }) => row.entered === 0 && row.leftForward === 0)).toBe(true);
    });

    it("shows each viewer only the history of deals they may see", async () => {
      const outsiders = await flow({ from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z" }, outsider.apiKey);
      expect(outsiders.stages.map((row: { entered: number }) => row.entered)).toEqual([1, 0, 1, 0, 0]);
      expect(outsiders.stages[0]).toMatchObject({ leftForward: 1, medianSeconds: DAY });
    });

    it("costs the stages and one statement", async () => {
      await service.http(`{ me { id } }`, {}, { key: me.apiKey }); // the key is known from here on: no statement
      const result = await service.http(FLOW, { pipeline: "REFERRAL", from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z" }, { key: me.apiKey });
      expect(dataOf(result).pipelineFlow.stages).toHaveLength(5);
      expect(result.sql).toBe(2);
    });

    it("lists every stage of a pipeline without history, in order", async () => {
      const sales = dataOf(await service.http(FLOW, { pipeline: "SALES", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z" }, { key: me.apiKey }));
      expect(sales.pipelineFlow.stages.map((row: { stage: { key: string } }) => row.stage.key)).toEqual(["lead", "qualified", "survey", "proposal", "negotiation", "won", "lost"]);
      expect(sales.pipelineFlow.stages.every((row: { entered: number; medianSeconds: null }) => row.entered === 0 && row.medianSeconds === null)).toBe(true);
    });
  });

  describe("the window", () => {
    it("refuses a to before from, or more than 10 years after it, naming to, for both queries", async () => {
      for (const query of [FORECAST, FLOW]) {
        const backwards = await service.http(query, { pipeline: "SALES", from: "2026-03-01T00:00:00Z", to: "2026-02-28T23:59:59Z" }, { key: me.apiKey });
        expect(fieldPaths(backwards)).toEqual(["to"]);
        expect(errorOf(backwards).message).toMatch(/to must not be before from/);
        const tooLong = await service.http(query, { pipeline: "SALES", from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00.001Z" }, { key: me.apiKey });
        expect(fieldPaths(tooLong)).toEqual(["to"]);
        expect(errorOf(tooLong).message).toMatch(/at most 10 years after from/);
      }
    });

    it("refuses a grouping that is not MONTH or QUARTER", async () => {
      const result = await service.http(FORECAST, { pipeline: "SALES", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", groupBy: "WEEK" }, { key: me.apiKey });
      expect(errorOf(result).extensions!.code).toBe("BAD_USER_INPUT");
    });

    it("takes exactly 10 years, counted in calendar years from from", () => {
      expect(windowProblems(new Date("2020-02-29T00:00:00Z"), new Date("2030-03-01T00:00:00Z"))).toEqual([]);
      expect(windowProblems(new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"))).toEqual([]);
      expect(windowProblems(new Date("2020-03-01T00:00:00Z"), new Date("2030-03-01T00:00:00.001Z")).map((problem) => problem.constraint)).toEqual(["isWithinYearsOfFrom"]);
    });
  });
});
