import { randomUUID } from "node:crypto";
import { adminService } from "../src/modules/admin/admin.service";
import { PersonType } from "../src/modules/person/person.entity";
import { createCompany, createPerson, createSite, createTenant, createUser, createWorkspace, TestUser } from "./factories";
import { dataOf, errorOf, fieldPaths, GraphQLResult, useTestService } from "./support/harness";

const OPPORTUNITY_FIELDS = `
  id pipelineDealId title name description customerId primaryContactId siteId
  pipelineType source estimatedValue currency expectedCloseDate probability solutionFamilies
  scopeSummary competitorNotes winLossReason nextStepDescription nextStepDate bidDueDate
  budgetConfirmed priority lostReasonCategory technicalRequirements ownerUserId workspaceId
  visibilityMode createdAt updatedAt
  stage { id key label pipeline probability isWon isLost }
  customer { id name }
  primaryContact { id type firstName company { id name } }
  site { id name company { id name } }
  owner { id type email company { id } }
  workspace { id name }
  sharedWith { id }
`;

const CREATE = `
  mutation ($input: CreateOpportunityInput!) {
    createOpportunity(input: $input) { success message data { ${OPPORTUNITY_FIELDS} } }
  }`;

describe("createOpportunity", () => {
  const service = useTestService();
  let me: TestUser;
  let customerId: string;
  let otherCompanyId: string;
  let siteId: string;
  let otherCompanySiteId: string;
  let contactId: string;
  let colleague: TestUser;
  /** A workspace I am a member of besides my default one; `colleague` is not in it. */
  let secondWorkspace: string;
  /** A workspace of my organization I am not a member of. */
  let notMyWorkspace: string;
  let stranger: TestUser;
  let foreign: { companyId: string; siteId: string; contactId: string };

  beforeAll(async () => {
    const { db } = service;
    me = await createTenant(db);
    const customer = await createCompany(db, me.organizationId, "Northwind Traders");
    customerId = customer.id;
    otherCompanyId = (await createCompany(db, me.organizationId)).id;
    siteId = (await createSite(db, me.organizationId, customerId)).id;
    otherCompanySiteId = (await createSite(db, me.organizationId, otherCompanyId)).id;
    contactId = (await createPerson(db, me.organizationId, { firstName: "Carla", companyId: customerId })).id;
    colleague = await createUser(db, me.organizationId, me.workspaceId);
    secondWorkspace = await createWorkspace(db, me.organizationId, "Second");
    await adminService.addMember(db, { workspace: secondWorkspace, user: me.userId });
    me.viewer.workspaceIds.push(secondWorkspace);
    notMyWorkspace = await createWorkspace(db, me.organizationId, "Not mine");
    stranger = await createTenant(db);
    const foreignCompany = await createCompany(db, stranger.organizationId);
    foreign = {
      companyId: foreignCompany.id,
      siteId: (await createSite(db, stranger.organizationId, foreignCompany.id)).id,
      contactId: (await createPerson(db, stranger.organizationId)).id,
    };
  });

  const dealCount = async (organizationId = me.organizationId) =>
    Number((await service.db.query(`SELECT count(*) AS n FROM pipeline_deal WHERE organization_id = $1`, [organizationId]))[0].n);

  const storedRow = async (id: string) =>
    (await service.db.query(`SELECT d.*, s.key AS stage_key FROM pipeline_deal d JOIN stage s ON s.id = d.stage_id WHERE d.id = $1`, [id]))[0];

  const minimal = (extra: Record<string, unknown> = {}) => ({
    customerId,
    title: "Boiler replacement",
    pipelineType: "RETROFIT",
    ...extra,
  });

  function create(input: Record<string, unknown>, as: TestUser = me, workspaceId?: string) {
    return service.http(CREATE, { input }, { key: as.apiKey, workspaceId });
  }

  async function created(input: Record<string, unknown>, as: TestUser = me, workspaceId?: string) {
    const result = await create(input, as, workspaceId);
    const { createOpportunity } = dataOf(result);
    expect(createOpportunity).toMatchObject({ success: true, message: "Opportunity created successfully" });
    return createOpportunity.data;
  }

  /** The request fails on exactly these fields and writes nothing. */
  async function expectRejected(input: Record<string, unknown>, paths: string[]): Promise<GraphQLResult> {
    const before = await dealCount();
    const result = await create(input);
    expect(fieldPaths(result)).toEqual([...paths].sort());
    expect(await dealCount()).toBe(before);
    return result;
  }

  const constraintOf = (result: GraphQLResult, path: string) =>
    (errorOf(result).extensions!.fields as Array<{ path: string; constraint: string }>).filter((f) => f.path === path).map((f) => f.constraint);

  describe("the seed's example input", () => {
    it("creates the opportunity and answers with the envelope, in at most 7 statements", async () => {
      const result = await create({
        customerId,
        primaryContactId: contactId,
        siteId,
        title: "Example Title",
        stage: "LEAD",
        pipelineType: "NEW_CONSTRUCTION",
        budgetConfirmed: false,
        visibilityMode: "GLOBAL",
      });
      const { createOpportunity } = dataOf(result);
      expect(createOpportunity.success).toBe(true);
      expect(createOpportunity.message).toBe("Opportunity created successfully");
      const data = createOpportunity.data;
      expect(data).toMatchObject({
        pipelineDealId: data.id,
        title: "Example Title",
        name: "Example Title",
        customerId,
        primaryContactId: contactId,
        siteId,
        stage: { key: "lead", label: "Lead", pipeline: "SALES", probability: 10 },
        pipelineType: "NEW_CONSTRUCTION",
        budgetConfirmed: false,
        visibilityMode: "GLOBAL",
        probability: 10,
        currency: "USD",
        customer: { id: customerId, name: "Northwind Traders" },
        primaryContact: { id: contactId, type: "CONTACT", firstName: "Carla", company: { id: customerId } },
        site: { id: siteId, company: { id: customerId, name: "Northwind Traders" } },
        owner: { id: me.userId, type: "USER" },
        ownerUserId: me.userId,
        workspace: { id: me.workspaceId, name: "Main" },
        workspaceId: me.workspaceId,
        sharedWith: [],
      });
      expect(new Date(data.createdAt).getTime()).not.toBeNaN();
      expect(new Date(data.updatedAt).getTime()).not.toBeNaN();
      expect(result.sql).toBeLessThanOrEqual(3);

      const row = await storedRow(data.id);
      expect(row).toMatchObject({
        kind: "opportunity",
        organization_id: me.organizationId,
        stage_key: "lead",
        pipeline_type: "new_construction",
        visibility_mode: "global",
        budget_confirmed: false,
        customer_id: customerId,
        primary_contact_id: contactId,
        site_id: siteId,
        owner_id: me.userId,
        workspace_id: me.workspaceId,
      });
    });

    it("is readable afterwards as an opportunity and as a pipeline deal", async () => {
      const data = await created(minimal({ visibilityMode: "GLOBAL" }));
      const read = dataOf(
        await service.http(`query ($id: ID!) { opportunity(id: $id) { id title } pipelineDeal(id: $id) { __typename id } }`, { id: data.id }, { key: me.apiKey }),
      );
      expect(read).toEqual({ opportunity: { id: data.id, title: data.title }, pipelineDeal: { __typename: "Opportunity", id: data.id } });
    });
  });

  describe("the input type", () => {
    it("has every field of the seed with its type, required flag and default", async () => {
      const { __type } = dataOf(
        await service.http(
          `{ __type(name: "CreateOpportunityInput") { inputFields { name defaultValue type { kind name ofType { kind name ofType { kind name } } } } } }`,
          {},
          { key: me.apiKey },
        ),
      );
      const typeName = (t: any): string =>
        t.kind === "NON_NULL" ? `${typeName(t.ofType)}!` : t.kind === "LIST" ? `[${typeName(t.ofType)}]` : t.name;
      const fields = Object.fromEntries(
        __type.inputFields.map((f: any) => [f.name, f.defaultValue === null ? typeName(f.type) : `${typeName(f.type)} = ${f.defaultValue}`]),
      );
      expect(fields).toEqual({
        customerId: "ID!",
        primaryContactId: "ID",
        siteId: "ID",
        title: "String!",
        stage: "OpportunityStage! = LEAD",
        pipelineType: "PipelineType!",
        source: "OpportunitySource",
        estimatedValue: "Decimal",
        expectedCloseDate: "DateTimeISO",
        probability: "Int",
        solutionFamilies: "[String!]",
        scopeSummary: "String",
        competitorNotes: "String",
        winLossReason: "String",
        nextStepDescription: "String",
        nextStepDate: "DateTimeISO",
        bidDueDate: "DateTimeISO",
        budgetConfirmed: "Boolean! = false",
        priority: "OpportunityPriority",
        lostReasonCategory: "LostReasonCategory",
        technicalRequirements: "String",
        ownerUserId: "ID",
        workspaceId: "ID",
        visibilityMode: "VisibilityMode! = WORKSPACE_LOCAL",
        // Beyond the seed: the currency of the issue, and the key that makes a retry safe.
        currency: 'String = "USD"',
        idempotencyKey: "String",
      });
    });

    it.each([
      ["OpportunityStage", ["LEAD", "QUALIFIED", "SURVEY", "PROPOSAL", "NEGOTIATION", "WON", "LOST"]],
      ["PipelineType", ["NEW_CONSTRUCTION", "RETROFIT", "SERVICE_AGREEMENT", "EXPANSION", "OTHER"]],
      ["OpportunitySource", ["REFERRAL", "WEBSITE", "COLD_CALL", "EXISTING_CUSTOMER", "PARTNER", "TRADE_SHOW", "PORTAL_REQUEST", "OTHER"]],
      ["OpportunityPriority", ["LOW", "MEDIUM", "HIGH", "URGENT"]],
      ["LostReasonCategory", ["PRICE", "TIMING", "COMPETITOR", "SCOPE_MISMATCH", "NO_DECISION", "RELATIONSHIP", "OTHER"]],
      ["VisibilityMode", ["GLOBAL", "WORKSPACE_LOCAL", "SHARED"]],
    ])("offers the seed's values of %s in UPPER_CASE", async (name, values) => {
      const { __type } = dataOf(await service.http(`query ($name: String!) { __type(name: $name) { enumValues { name } } }`, { name }, { key: me.apiKey }));
      expect(__type.enumValues.map((v: { name: string }) => v.name)).toEqual(values);
    });

    it("refuses a request without a key", async () => {
      const before = await dealCount();
      const result = await service.http(CREATE, { input: minimal() });
      expect(errorOf(result).extensions?.code).toBe("UNAUTHENTICATED");
      expect(await dealCount()).toBe(before);
    });

    it.each(["customerId", "title", "pipelineType"])("requires %s", async (field) => {
      const input: Record<string, unknown> = minimal();
      delete input[field];
      const before = await dealCount();
      const result = await create(input);
      expect(errorOf(result).extensions?.code).toBe("BAD_USER_INPUT");
      expect(errorOf(result).message).toContain(field);
      expect(await dealCount()).toBe(before);
    });
  });

  describe("defaults", () => {
    it("fills in every default when only the required fields are given", async () => {
      const data = await created(minimal());
      expect(data).toMatchObject({
        stage: { key: "lead" },
        budgetConfirmed: false,
        visibilityMode: "WORKSPACE_LOCAL",
        currency: "USD",
        probability: 10,
        owner: { id: me.userId },
        workspace: { id: me.workspaceId },
        solutionFamilies: [],
        primaryContact: null,
        primaryContactId: null,
        site: null,
        siteId: null,
        source: null,
        estimatedValue: null,
        expectedCloseDate: null,
        scopeSummary: null,
        competitorNotes: null,
        winLossReason: null,
        nextStepDescription: null,
        nextStepDate: null,
        bidDueDate: null,
        priority: null,
        lostReasonCategory: null,
        technicalRequirements: null,
        description: null,
      });
      expect(await storedRow(data.id)).toMatchObject({
        stage_key: "lead",
        budget_confirmed: false,
        visibility_mode: "workspace_local",
        currency: "USD",
        probability: 10,
        value: null,
      });
    });

    it("puts the opportunity in the current workspace (X-Workspace-Id) by default", async () => {
      const data = await created(minimal(), me, secondWorkspace);
      expect(data.workspace).toEqual({ id: secondWorkspace, name: "Second" });
    });

    it.each([
      ["LEAD", 10],
      ["QUALIFIED", 25],
      ["SURVEY", 40],
      ["PROPOSAL", 60],
      ["NEGOTIATION", 80],
      ["WON", 100],
      ["LOST", 0],
    ])("defaults the probability of stage %s to the stage's %i", async (stage, probability) => {
      const data = await created(minimal({ stage }));
      expect(data.stage.key).toBe(stage.toLowerCase());
      expect(data.probability).toBe(probability);
      expect((await storedRow(data.id)).probability).toBe(probability);
    });

    it("keeps a probability that is given, 0 included", async () => {
      expect((await created(minimal({ stage: "PROPOSAL", probability: 0 }))).probability).toBe(0);
      expect((await created(minimal({ stage: "LEAD", probability: 100 }))).probability).toBe(100);
      expect((await created(minimal({ stage: "WON", probability: 35 }))).probability).toBe(35);
    });
  });

  describe("every field", () => {
    it("stores each field given and returns it, enums stored in the seed's lower case", async () => {
      const data = await created({
        customerId,
        primaryContactId: contactId,
        siteId,
        title: "  Chiller plant upgrade  ",
        stage: "LOST",
        pipelineType: "SERVICE_AGREEMENT",
        source: "TRADE_SHOW",
        estimatedValue: 1234567890.1234,
        expectedCloseDate: "2026-03-31T17:00:00+02:00",
        probability: 5,
        solutionFamilies: ["HVAC", "Controls"],
        scopeSummary: "Two chillers and the controls.",
        competitorNotes: "Acme bid lower.",
        winLossReason: "Price.",
        nextStepDescription: "Debrief call.",
        nextStepDate: "2026-04-02T09:30:00Z",
        bidDueDate: "2026-03-01T12:00:00.000Z",
        budgetConfirmed: true,
        priority: "URGENT",
        lostReasonCategory: "SCOPE_MISMATCH",
        technicalRequirements: "BACnet.",
        ownerUserId: colleague.userId,
        workspaceId: me.workspaceId,
        visibilityMode: "SHARED",
        currency: "eur",
      });
      expect(data).toMatchObject({
        title: "Chiller plant upgrade",
        stage: { key: "lost", isLost: true },
        pipelineType: "SERVICE_AGREEMENT",
        source: "TRADE_SHOW",
        estimatedValue: "1234567890.1234",
        expectedCloseDate: "2026-03-31T15:00:00.000Z",
        probability: 5,
        solutionFamilies: ["HVAC", "Controls"],
        scopeSummary: "Two chillers and the controls.",
        competitorNotes: "Acme bid lower.",
        winLossReason: "Price.",
        nextStepDescription: "Debrief call.",
        nextStepDate: "2026-04-02T09:30:00.000Z",
        bidDueDate: "2026-03-01T12:00:00.000Z",
        budgetConfirmed: true,
        priority: "URGENT",
        lostReasonCategory: "SCOPE_MISMATCH",
        technicalRequirements: "BACnet.",
        owner: { id: colleague.userId },
        ownerUserId: colleague.userId,
        visibilityMode: "SHARED",
        currency: "EUR",
      });
      const row = await storedRow(data.id);
      expect(row).toMatchObject({
        name: "Chiller plant upgrade",
        stage_key: "lost",
        pipeline_type: "service_agreement",
        source: "trade_show",
        value: "1234567890.1234",
        probability: 5,
        solution_families: ["HVAC", "Controls"],
        budget_confirmed: true,
        priority: "urgent",
        lost_reason_category: "scope_mismatch",
        visibility_mode: "shared",
        currency: "EUR",
        owner_id: colleague.userId,
      });
      expect(row.expected_close_date.toISOString()).toBe("2026-03-31T15:00:00.000Z");
    });

    it.each([
      ["REFERRAL", "referral"],
      ["WEBSITE", "website"],
      ["COLD_CALL", "cold_call"],
      ["EXISTING_CUSTOMER", "existing_customer"],
      ["PARTNER", "partner"],
      ["PORTAL_REQUEST", "portal_request"],
      ["OTHER", "other"],
    ])("stores source %s as %s", async (source, stored) => {
      const data = await created(minimal({ source }));
      expect(data.source).toBe(source);
      expect((await storedRow(data.id)).source).toBe(stored);
    });

    it.each([
      ["NEW_CONSTRUCTION", "new_construction"],
      ["RETROFIT", "retrofit"],
      ["EXPANSION", "expansion"],
      ["OTHER", "other"],
    ])("stores pipeline type %s as %s", async (pipelineType, stored) => {
      const data = await created(minimal({ pipelineType }));
      expect((await storedRow(data.id)).pipeline_type).toBe(stored);
    });

    it.each([
      ["LOW", "low"],
      ["MEDIUM", "medium"],
      ["HIGH", "high"],
    ])("stores priority %s as %s", async (priority, stored) => {
      const data = await created(minimal({ priority }));
      expect((await storedRow(data.id)).priority).toBe(stored);
    });

    it.each([
      ["PRICE", "price"],
      ["TIMING", "timing"],
      ["COMPETITOR", "competitor"],
      ["NO_DECISION", "no_decision"],
      ["RELATIONSHIP", "relationship"],
      ["OTHER", "other"],
    ])("stores lost reason %s as %s", async (lostReasonCategory, stored) => {
      const data = await created(minimal({ stage: "LOST", lostReasonCategory }));
      expect((await storedRow(data.id)).lost_reason_category).toBe(stored);
    });

    it("stores a WORKSPACE_LOCAL visibility as workspace_local", async () => {
      const data = await created(minimal({ visibilityMode: "WORKSPACE_LOCAL" }));
      expect((await storedRow(data.id)).visibility_mode).toBe("workspace_local");
    });

    it("refuses a value outside an enum", async () => {
      const before = await dealCount();
      const result = await create(minimal({ stage: "lead" }));
      expect(errorOf(result).extensions?.code).toBe("BAD_USER_INPUT");
      expect(await dealCount()).toBe(before);
    });
  });

  describe("title", () => {
    it.each([
      ["empty", ""],
      ["blank", "   "],
      ["longer than 200 characters", "x".repeat(201)],
    ])("is refused when %s", async (_case, title) => {
      await expectRejected(minimal({ title }), ["input.title"]);
    });

    it("may be 200 characters long", async () => {
      expect((await created(minimal({ title: "t".repeat(200) }))).title).toHaveLength(200);
    });
  });

  describe("probability", () => {
    it.each([-1, 101])("refuses %i", async (probability) => {
      await expectRejected(minimal({ probability }), ["input.probability"]);
    });

    it("must be an integer", async () => {
      const before = await dealCount();
      const result = await create(minimal({ probability: 50.5 }));
      expect(errorOf(result).extensions?.code).toBe("BAD_USER_INPUT");
      expect(await dealCount()).toBe(before);
    });
  });

  describe("estimatedValue", () => {
    it("takes a decimal string and keeps digits no JSON float can hold", async () => {
      const data = await created(minimal({ estimatedValue: "12345678901234.5678" }));
      expect(data.estimatedValue).toBe("12345678901234.5678");
      expect((await storedRow(data.id)).value).toBe("12345678901234.5678");
      await expectRejected(minimal({ estimatedValue: "1e5" }), ["input.estimatedValue"]);
      await expectRejected(minimal({ estimatedValue: "abc" }), ["input.estimatedValue"]);
    });

    it("refuses a negative amount", async () => {
      await expectRejected(minimal({ estimatedValue: -0.01 }), ["input.estimatedValue"]);
    });

    it("refuses more decimals than can be stored exactly", async () => {
      await expectRejected(minimal({ estimatedValue: 10.12345 }), ["input.estimatedValue"]);
    });

    it.each([
      [0, "0.0000"],
      [0.1, "0.1000"],
      [19.99, "19.9900"],
      [999999999999999, "999999999999999.0000"],
    ])("stores %d exactly", async (estimatedValue, stored) => {
      const data = await created(minimal({ estimatedValue }));
      expect(data.estimatedValue).toBe(String(estimatedValue));
      expect((await storedRow(data.id)).value).toBe(stored);
    });
  });

  describe("solutionFamilies", () => {
    it("drops duplicates, ignoring case and surrounding spaces, keeping the first spelling", async () => {
      const data = await created(minimal({ solutionFamilies: ["HVAC", " Lighting ", "hvac", "Lighting", "Controls", "HVAC"] }));
      expect(data.solutionFamilies).toEqual(["HVAC", "Lighting", "Controls"]);
      expect((await storedRow(data.id)).solution_families).toEqual(["HVAC", "Lighting", "Controls"]);
    });

    it.each([
      ["an empty name", ["HVAC", ""]],
      ["a blank name", ["   "]],
      ["a name longer than 200 characters", ["x".repeat(201)]],
    ])("refuses %s", async (_case, solutionFamilies) => {
      await expectRejected(minimal({ solutionFamilies }), ["input.solutionFamilies"]);
    });

    it("accepts 50 different families and refuses 51", async () => {
      const families = Array.from({ length: 51 }, (_, i) => `Family ${i}`);
      expect((await created(minimal({ solutionFamilies: families.slice(0, 50) }))).solutionFamilies).toHaveLength(50);
      const result = await expectRejected(minimal({ solutionFamilies: families }), ["input.solutionFamilies"]);
      expect(constraintOf(result, "input.solutionFamilies")).toEqual(["arrayMaxSize"]);
    });

    it("counts the limit after duplicates are dropped", async () => {
      const families = [...Array.from({ length: 50 }, (_, i) => `Family ${i}`), "family 0", "FAMILY 1"];
      expect((await created(minimal({ solutionFamilies: families }))).solutionFamilies).toHaveLength(50);
    });
  });

  describe("free text", () => {
    const fields = ["scopeSummary", "competitorNotes", "winLossReason", "nextStepDescription", "technicalRequirements"];

    it.each(fields)("refuses %s longer than 5000 characters", async (field) => {
      await expectRejected(minimal({ stage: "WON", [field]: "x".repeat(5001) }), [`input.${field}`]);
    });

    it("accepts 5000 characters in every free-text field", async () => {
      const text = "y".repeat(5000);
      const data = await created(minimal({ stage: "WON", ...Object.fromEntries(fields.map((f) => [f, text])) }));
      for (const field of fields) expect(data[field]).toBe(text);
    });
  });

  describe("stage-dependent fields", () => {
    it.each(["LEAD", "QUALIFIED", "SURVEY", "PROPOSAL", "NEGOTIATION", "WON"])(
      "refuses lostReasonCategory with stage %s",
      async (stage) => {
        const result = await expectRejected(minimal({ stage, lostReasonCategory: "PRICE" }), ["input.lostReasonCategory"]);
        expect(constraintOf(result, "input.lostReasonCategory")).toEqual(["onlyWhenLost"]);
      },
    );

    it("accepts lostReasonCategory with stage LOST", async () => {
      expect((await created(minimal({ stage: "LOST", lostReasonCategory: "TIMING" }))).lostReasonCategory).toBe("TIMING");
    });

    it.each(["LEAD", "QUALIFIED", "SURVEY", "PROPOSAL", "NEGOTIATION"])("refuses winLossReason with stage %s", async (stage) => {
      const result = await expectRejected(minimal({ stage, winLossReason: "Because." }), ["input.winLossReason"]);
      expect(constraintOf(result, "input.winLossReason")).toEqual(["onlyWhenWonOrLost"]);
    });

    it.each(["WON", "LOST"])("accepts winLossReason with stage %s", async (stage) => {
      expect((await created(minimal({ stage, winLossReason: "Because." }))).winLossReason).toBe("Because.");
    });
  });

  describe("currency", () => {
    it("accepts an ISO 4217 code in any case and stores it in upper case", async () => {
      expect((await created(minimal({ currency: "GBP" }))).currency).toBe("GBP");
      expect((await created(minimal({ currency: "chf" }))).currency).toBe("CHF");
    });

    it("treats an explicit null as the default USD", async () => {
      expect((await created(minimal({ currency: null }))).currency).toBe("USD");
    });

    it.each(["XYZ", "US", "EURO", ""])("refuses %j", async (currency) => {
      await expectRejected(minimal({ currency }), ["input.currency"]);
    });
  });

  describe("dates", () => {
    it.each(["expectedCloseDate", "nextStepDate", "bidDueDate"])("refuses %s that is not an ISO 8601 date-time", async (field) => {
      for (const value of ["not a date", "2026-02-30T10:00:00Z", "31/03/2026"]) {
        const before = await dealCount();
        const result = await create(minimal({ [field]: value }));
        expect(errorOf(result).extensions?.code).toBe("BAD_USER_INPUT");
        expect(errorOf(result).message).toContain(field);
        expect(await dealCount()).toBe(before);
      }
    });
  });

  describe("references", () => {
    const missing = randomUUID();

    it.each([
      ["customerId", () => missing],
      ["customerId", () => foreign.companyId],
      ["primaryContactId", () => missing],
      ["primaryContactId", () => foreign.contactId],
      ["siteId", () => missing],
      ["siteId", () => foreign.siteId],
      ["ownerUserId", () => missing],
      ["ownerUserId", () => stranger.userId],
      ["workspaceId", () => missing],
      ["workspaceId", () => stranger.workspaceId],
    ])("reports %s that does not exist in my organization as not found", async (field, id) => {
      const result = await expectRejected(minimal({ [field]: id() }), [`input.${field}`]);
      expect(constraintOf(result, `input.${field}`)).toEqual(["exists"]);
    });

    it.each(["customerId", "primaryContactId", "siteId", "ownerUserId", "workspaceId"])(
      "reports %s that is not a UUID",
      async (field) => {
        const result = await expectRejected(minimal({ [field]: "42" }), [`input.${field}`]);
        expect(constraintOf(result, `input.${field}`)).toEqual(["isUuid"]);
      },
    );

    it("refuses a site of another company", async () => {
      const result = await expectRejected(minimal({ siteId: otherCompanySiteId }), ["input.siteId"]);
      expect(constraintOf(result, "input.siteId")).toEqual(["belongsToCustomer"]);
    });

    it("accepts a contact who works elsewhere", async () => {
      const elsewhere = await createPerson(service.db, me.organizationId, { companyId: otherCompanyId });
      const data = await created(minimal({ primaryContactId: elsewhere.id }));
      expect(data.primaryContact).toMatchObject({ id: elsewhere.id, company: { id: otherCompanyId } });
    });

    it("refuses an owner who is a CONTACT", async () => {
      const result = await expectRejected(minimal({ ownerUserId: contactId }), ["input.ownerUserId"]);
      expect(constraintOf(result, "input.ownerUserId")).toEqual(["isUser"]);
    });

    it("refuses an owner who is not a member of the target workspace", async () => {
      const result = await expectRejected(minimal({ ownerUserId: colleague.userId, workspaceId: secondWorkspace }), ["input.ownerUserId"]);
      expect(constraintOf(result, "input.ownerUserId")).toEqual(["isWorkspaceMember"]);
    });

    it("accepts another USER who is a member of the target workspace as the owner", async () => {
      const data = await created(minimal({ ownerUserId: colleague.userId, workspaceId: me.workspaceId }));
      expect(data.owner.id).toBe(colleague.userId);
      expect((await storedRow(data.id)).owner_id).toBe(colleague.userId);
    });

    it("accepts ids in upper case and stores them as the database spells them", async () => {
      const data = await created(
        minimal({
          customerId: customerId.toUpperCase(),
          primaryContactId: contactId.toUpperCase(),
          siteId: siteId.toUpperCase(),
          ownerUserId: colleague.userId.toUpperCase(),
          workspaceId: me.workspaceId.toUpperCase(),
        }),
      );
      expect(data).toMatchObject({ customerId, primaryContactId: contactId, siteId, ownerUserId: colleague.userId, workspaceId: me.workspaceId });
      expect(await storedRow(data.id)).toMatchObject({ customer_id: customerId, site_id: siteId, workspace_id: me.workspaceId });
    });

    it("accepts any workspace I am a member of", async () => {
      const data = await created(minimal({ workspaceId: secondWorkspace }));
      expect(data.workspace.id).toBe(secondWorkspace);
    });

    it("forbids a workspace of my organization that I am not a member of, even when other fields are wrong", async () => {
      for (const input of [minimal({ workspaceId: notMyWorkspace }), minimal({ workspaceId: notMyWorkspace, title: " " })]) {
        const before = await dealCount();
        const result = await create(input);
        expect(errorOf(result).extensions?.code).toBe("FORBIDDEN");
        expect(await dealCount()).toBe(before);
      }
    });

    it("forbids it even when the owner is a member of it", async () => {
      const member = await createUser(service.db, me.organizationId, notMyWorkspace);
      const result = await create(minimal({ workspaceId: notMyWorkspace, ownerUserId: member.userId }));
      expect(errorOf(result).extensions?.code).toBe("FORBIDDEN");
    });
  });

  it("reports every problem at once, each naming its field, and writes nothing", async () => {
    const result = await expectRejected(
      {
        customerId: randomUUID(),
        primaryContactId: "nope",
        siteId: randomUUID(),
        title: " ",
        stage: "QUALIFIED",
        pipelineType: "OTHER",
        estimatedValue: -5,
        probability: 101,
        solutionFamilies: [""],
        scopeSummary: "s".repeat(5001),
        competitorNotes: "c".repeat(5001),
        winLossReason: "Too early.",
        nextStepDescription: "n".repeat(5001),
        technicalRequirements: "t".repeat(5001),
        lostReasonCategory: "OTHER",
        ownerUserId: contactId,
        currency: "ZZZ",
      },
      [
        "input.customerId",
        "input.primaryContactId",
        "input.siteId",
        "input.title",
        "input.estimatedValue",
        "input.probability",
        "input.solutionFamilies",
        "input.scopeSummary",
        "input.competitorNotes",
        "input.winLossReason",
        "input.nextStepDescription",
        "input.technicalRequirements",
        "input.lostReasonCategory",
        "input.ownerUserId",
        "input.currency",
      ],
    );
    for (const field of (errorOf(result).extensions!.fields as Array<{ message: string; constraint: string }>)) {
      expect(field.message).toBeTruthy();
      expect(field.constraint).toBeTruthy();
    }
  });

  it("sends 2 statements with every reference given and every nested field asked for", async () => {
    const result = await create({
      customerId,
      primaryContactId: contactId,
      siteId,
      title: "Counted",
      pipelineType: "EXPANSION",
      ownerUserId: colleague.userId,
      workspaceId: me.workspaceId,
    });
    expect(dataOf(result).createOpportunity.data.owner.id).toBe(colleague.userId);
    // Customer, people, site, workspace with the owner's membership and the stage in one statement;
    // the INSERT with the first history entry and its event. The key, used before, is cached.
    expect(result.sql).toBe(2);
  });

  it("counts the same as executeOperation once the key is cached", async () => {
    const input = { customerId, primaryContactId: contactId, siteId, title: "Counted twice", pipelineType: "EXPANSION" };
    const overHttp = await create(input);
    const direct = await service.exec(CREATE, { input }, me.viewer);
    expect(dataOf(direct).createOpportunity.success).toBe(true);
    expect(direct.sql).toBe(overHttp.sql);
  });

  it("lets the CONTACT type be a primary contact and a USER too", async () => {
    const data = await created(minimal({ primaryContactId: colleague.userId }));
    expect(data.primaryContact).toMatchObject({ id: colleague.userId, type: PersonType.USER });
  });
});
