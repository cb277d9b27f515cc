import { parseInput } from "../src/core/commands/parse-input";
import { createContext } from "../src/core/context/context";
import { inUnitOfWork } from "../src/core/context/unit-of-work";
import { FacilitatorRole, FacilitatorSide } from "../src/modules/deal/deal.enums";
import { dealCommandAttempts, runDealCommand } from "../src/modules/deal/deal-command";
import { DealChangedError, updateDeal } from "../src/modules/deal/deal.repository";
import { SqlStats, withSqlStats } from "../src/core/db/sql-stats";
import { closeTransition, dealChanges } from "../src/modules/deal/deal.rules";
import { CreateOpportunityInput, UpdateOpportunityInput } from "../src/modules/opportunity/opportunity.inputs";
import { outcomeAfterMove, outcomeProblems } from "../src/modules/opportunity/opportunity.rules";
import { LostReasonCategory, OpportunityStage } from "../src/modules/opportunity/opportunity.enums";
import { Person, PersonType } from "../src/modules/person/person.entity";
import { referralCommands } from "../src/modules/referral/referral.commands";
import { defaultName, Party, planFacilitators } from "../src/modules/referral/referral.rules";
import { Stage } from "../src/modules/stage/stage.entity";
import { createCompany, createPerson, createTenant, TestUser } from "./factories";
import { dataOf, useTestService } from "./support/harness";

const stage = (values: Partial<Stage>): Stage => Object.assign(new Stage(), { id: "s", isWon: false, isLost: false, probability: 10, ...values });
const party = (id: string, companyId: string | null, employer: string | null, referredById: string | null = null): Party => ({
  person: Object.assign(new Person(), { id, companyId, referredById, firstName: id, lastName: "X", name: null, type: PersonType.CONTACT }),
  employer: employer ? ({ id: companyId, name: employer } as any) : null,
});

describe("deal rules", () => {
  it("closes on entering won or lost, closes again between them, and reopens on leaving", () => {
    const open = stage({ id: "open" });
    const won = stage({ id: "won", isWon: true });
    const lost = stage({ id: "lost", isLost: true });
    expect(closeTransition(open, won)).toBe("closes");
    expect(closeTransition(won, lost)).toBe("closes");
    expect(closeTransition(lost, open)).toBe("reopens");
    expect(closeTransition(open, stage({ id: "other" }))).toBeNull();
  });

  it("finds the columns a write would change: dates by instant, lists by item, amounts by decimal value", () => {
    const deal = { name: "A", value: "5.1000", closedAt: new Date("2026-01-01T00:00:00Z"), solutionFamilies: ["x"] };
    expect(dealChanges(deal, { name: "A", value: "5.1", closedAt: new Date("2026-01-01T00:00:00.000Z"), solutionFamilies: ["x"] })).toEqual({});
    expect(dealChanges(deal, { name: "B", value: "5.01", solutionFamilies: ["x", "y"] })).toEqual({ name: "B", value: "5.01", solutionFamilies: ["x", "y"] });
    expect(dealChanges({ name: "123" }, { name: "123.0" })).toEqual({ name: "123.0" });
  });

  it("keeps the outcome a new stage allows and drops the rest, unless the request sets it", () => {
    const current = { winLossReason: "Why", lostReasonCategory: LostReasonCategory.PRICE };
    expect(outcomeAfterMove(stage({ isWon: true }), current, {})).toEqual({ winLossReason: "Why", lostReasonCategory: null });
    expect(outcomeAfterMove(stage({}), current, {})).toEqual({ winLossReason: null, lostReasonCategory: null });
    expect(outcomeAfterMove(stage({}), current, { winLossReason: "Kept" })).toEqual({ winLossReason: "Kept", lostReasonCategory: null });
    expect(outcomeProblems(stage({ isWon: true }), current).map(([field]) => field)).toEqual(["lostReasonCategory"]);
    expect(outcomeProblems(stage({ isLost: true }), current)).toEqual([]);
  });
});

describe("referral rules", () => {
  it("names a deal after the two employers, a person's name standing in, cut to 200 code points", () => {
    expect(defaultName({ seeker: party("s", "c1", "Acme"), provider: party("p", null, null), connector: party("c", null, null) })).toBe("Acme → p X");
    const long = defaultName({ seeker: party("s", "c1", "😀".repeat(300)), provider: party("p", "c2", "B"), connector: party("c", null, null) });
    expect(Array.from(long)).toHaveLength(200);
  });

  it("plans the connector by employer and each side's referral source once", () => {
    const seeker = party("s", "c1", "Acme", "r");
    const provider = party("p", "c2", "Globex", "r");
    const connector = party("c", "c2", "Globex");
    const known = new Map([["r", party("r", null, null)]]);
    expect(planFacilitators({ seeker, provider, connector }, known)).toEqual([
      { personId: "c", companyId: "c2", role: FacilitatorRole.CONNECTOR, side: FacilitatorSide.PROVIDER },
      { personId: "r", companyId: null, role: FacilitatorRole.REFERRAL_SOURCE, side: FacilitatorSide.SEEKER },
      { personId: "r", companyId: null, role: FacilitatorRole.REFERRAL_SOURCE, side: FacilitatorSide.PROVIDER },
    ]);
  });
});

describe("parseInput", () => {
  it("applies the class's own defaults to a plain object, as GraphQL's would", async () => {
    const { input, problems } = await parseInput(CreateOpportunityInput, { customerId: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", title: "T", pipelineType: "other" });
    expect(() => problems.throwIfAny()).not.toThrow();
    expect(input).toMatchObject({ stage: OpportunityStage.LEAD, budgetConfirmed: false, visibilityMode: "workspace_local", currency: "USD" });
  });

  it("reports every problem at once: wrong types, unknown fields, rules, and a required field sent as null", async () => {
    const { problems } = await parseInput(UpdateOpportunityInput, {
      title: null,
      probability: "high",
      expectedCloseDate: "tomorrow",
      stage: "LEAD",
      colour: "red",
      customerId: "nope",
    });
    let fields: Array<{ path: string; constraint: string }> = [];
    try {
      problems.throwIfAny();
    } catch (error: any) {
      fields = error.fields;
    }
    expect(fields.map((f) => [f.path, f.constraint]).sort()).toEqual([
      ["input.colour", "isKnownField"],
      ["input.customerId", "isUuid"],
      ["input.expectedCloseDate", "isDate"],
      ["input.probability", "isInt"],
      ["input.stage", "isEnum"],
      ["input.title", "isDefined"],
    ]);
  });

  it("refuses an input that is not an object", async () => {
    const { problems } = await parseInput(UpdateOpportunityInput, [1, 2]);
    expect(() => problems.throwIfAny()).toThrow(/input must be an object/);
  });
});

describe("the write path", () => {
  const service = useTestService();
  let me: TestUser;
  let seekerId: string;
  let providerId: string;

  beforeAll(async () => {
    me = await createTenant(service.db);
    const company = await createCompany(service.db, me.organizationId, "Initech");
    seekerId = (await createPerson(service.db, me.organizationId, { companyId: company.id })).id;
    providerId = (await createPerson(service.db, me.organizationId)).id;
  });

  it("gives a plain JSON object to the command the same answer as the GraphQL mutation", async () => {
    const body = { seekerId, providerId, description: "From JSON", expectedValue: 12.5, currency: "eur" };
    const fromCommand = await referralCommands.create(createContext(service.db, me.viewer), JSON.parse(JSON.stringify(body)));
    const fromGraphQL = dataOf(
      await service.exec(
        `mutation ($input: CreateReferralOpportunityInput!) { createReferralOpportunity(input: $input) { data { id name description expectedValue currency version stage { key } facilitators { userId role side } } } }`,
        { input: body },
        me.viewer,
      ),
    ).createReferralOpportunity.data;
    expect(fromGraphQL).toMatchObject({ name: fromCommand.name, description: fromCommand.description, expectedValue: "12.5", currency: fromCommand.currency, version: fromCommand.version });
    expect(fromCommand.currency).toBe("EUR");
  });

  it("rolls a failed unit of work back and leaves the request's loaders as they were; a committed one hands them what it wrote", async () => {
    const ctx = createContext(service.db, me.viewer);
    const deal = await referralCommands.create(ctx, { seekerId, providerId });
    await expect(
      inUnitOfWork(ctx, async (tx) => {
        const locked = (await tx.loaders.deal.load(deal.id))!;
        await updateDeal(tx, locked, { name: "Rolled back" });
        throw new Error("after the write");
      }),
    ).rejects.toThrow("after the write");
    expect((await service.db.query(`SELECT name, version FROM pipeline_deal WHERE id = $1`, [deal.id]))[0]).toEqual({ name: deal.name, version: 1 });
    expect((await ctx.loaders.deal.load(deal.id))!.name).toBe(deal.name);

    await inUnitOfWork(ctx, async (tx) => updateDeal(tx, (await tx.loaders.deal.load(deal.id))!, { name: "Committed" }));
    const known = ctx.loaders.deal.get(deal.id);
    expect(known).not.toBeInstanceOf(Promise); // no statement needed
    expect(known).toMatchObject({ name: "Committed", version: 2 });
  });

  it("runs a unit of work without a transaction when its write is one statement, and refuses a second write there", async () => {
    const ctx = createContext(service.db, me.viewer);
    const deal = await referralCommands.create(ctx, { seekerId, providerId });
    const stats = new SqlStats();
    await withSqlStats(stats, () =>
      inUnitOfWork(ctx, async (tx) => updateDeal(tx, (await tx.loaders.deal.load(deal.id))!, { name: "One statement" }), { atomicity: "statement" }),
    );
    expect(stats.statements).toBe(2); // the read and the write: no BEGIN, no COMMIT
    expect(ctx.loaders.deal.get(deal.id)).toMatchObject({ name: "One statement", version: 2 });

    await expect(
      inUnitOfWork(
        ctx,
        async (tx) => {
          const read = (await tx.loaders.deal.load(deal.id))!;
          const written = await updateDeal(tx, read, { name: "First write" });
          return updateDeal(tx, written, { name: "Second write" });
        },
        { atomicity: "statement" },
      ),
    ).rejects.toThrow(/writes in one statement/);
    // The loaders of a unit of work that failed are not adopted.
    expect(ctx.loaders.deal.get(deal.id)).toMatchObject({ name: "One statement", version: 2 });
  });

  it("runs a deal command again after a lost race, and answers CONFLICT once it lost dealCommandAttempts times", async () => {
    const ctx = createContext(service.db, me.viewer);
    let tries = 0;
    expect(
      await runDealCommand(ctx, async () => {
        if (++tries < 3) throw new DealChangedError("deal");
        return "written";
      }),
    ).toBe("written");
    expect(tries).toBe(3);
    let runs = 0;
    const busy = runDealCommand(ctx, async () => {
      runs++;
      throw new DealChangedError("deal");
    });
    await expect(busy).rejects.toMatchObject({ extensions: { code: "CONFLICT", reason: "BUSY" } });
    expect(runs).toBe(dealCommandAttempts);
    // Any other error ends the command at once.
    runs = 0;
    await expect(runDealCommand(ctx, async () => { runs++; throw new Error("not a race"); })).rejects.toThrow("not a race");
    expect(runs).toBe(1);
  });

  it("writes nothing and throws DealChangedError when the deal is no longer at the version read", async () => {
    const ctx = createContext(service.db, me.viewer);
    const deal = await referralCommands.create(ctx, { seekerId, providerId });
    await service.db.query(`UPDATE pipeline_deal SET version = version + 1 WHERE id = $1`, [deal.id]);
    await expect(inUnitOfWork(ctx, (tx) => updateDeal(tx, deal, { name: "Stale" }), { atomicity: "statement" })).rejects.toBeInstanceOf(DealChangedError);
    expect((await service.db.query(`SELECT name, version FROM pipeline_deal WHERE id = $1`, [deal.id]))[0]).toEqual({ name: deal.name, version: 2 });
    expect(Number((await service.db.query(`SELECT count(*) AS n FROM deal_event WHERE deal_id = $1`, [deal.id]))[0].n)).toBe(1);
  });
});
