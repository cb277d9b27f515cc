import { randomUUID } from "node:crypto";
import { insertRows } from "../src/core/db/insert";
import { DealShare } from "../src/modules/deal/deal-share.entity";
import { VisibilityMode } from "../src/modules/deal/deal.enums";
import { PipelineDeal } from "../src/modules/deal/pipeline-deal.entity";
import {
  createCompany,
  createTenant,
  createUser,
  createWorkspace,
  insertOpportunity,
  insertReferral,
  TestUser,
} from "./factories";
import { dataOf, errorOf, fieldPaths, GraphQLResult, useTestService } from "./support/harness";

type Caller = "olive" | "w1" | "w2" | "w3" | "w12" | "w23" | "b";
type DealName =
  | "oppGlobal"
  | "oppLocal"
  | "oppShared"
  | "oppSharedWithNobody"
  | "oppLocalWithShareRow"
  | "oppW2Local"
  | "refGlobal"
  | "refLocal"
  | "refShared"
  | "refW3Shared"
  | "bOppGlobal"
  | "bRefGlobal";

/**
 * Organization A has workspaces W1, W2 and W3; organization B has one. Olive owns W1's deals.
 * Each caller's deals, by hand from the rule: GLOBAL to the whole organization, WORKSPACE_LOCAL
 * to the deal's workspace, SHARED to it and the workspaces it is shared with.
 */
const VISIBLE: Record<Caller, DealName[]> = {
  olive: ["oppGlobal", "oppLocal", "oppShared", "oppSharedWithNobody", "oppLocalWithShareRow", "refGlobal", "refLocal", "refShared", "refW3Shared"],
  w1: ["oppGlobal", "oppLocal", "oppShared", "oppSharedWithNobody", "oppLocalWithShareRow", "refGlobal", "refLocal", "refShared", "refW3Shared"],
  w2: ["oppGlobal", "oppShared", "oppW2Local", "refGlobal", "refShared"],
  w3: ["oppGlobal", "refGlobal", "refW3Shared"],
  w12: ["oppGlobal", "oppLocal", "oppShared", "oppSharedWithNobody", "oppLocalWithShareRow", "oppW2Local", "refGlobal", "refLocal", "refShared", "refW3Shared"],
  w23: ["oppGlobal", "oppShared", "oppW2Local", "refGlobal", "refShared", "refW3Shared"],
  b: ["bOppGlobal", "bRefGlobal"],
};
const CALLERS = Object.keys(VISIBLE) as Caller[];

const BY_ID = `
  query ($id: ID!) {
    opportunity(id: $id) { id }
  }`;
const DEAL_BY_ID = `query ($id: ID!) { pipelineDeal(id: $id) { __typename id } }`;
const REFERRAL_BY_ID = `query ($id: ID!) { referralOpportunity(id: $id) { id } }`;
const OPPORTUNITIES = `
  query ($after: String, $filter: OpportunityFilter) {
    opportunities(first: 2, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
  }`;
const REFERRALS = `
  query ($after: String) {
    referralOpportunities(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
  }`;
const SHARE = `
  mutation ($dealId: ID!, $workspaceId: ID!) {
    shareDeal(dealId: $dealId, workspaceId: $workspaceId) {
      success message data { __typename id visibilityMode updatedAt sharedWith { id name } }
    }
  }`;
const UNSHARE = `
  mutation ($dealId: ID!, $workspaceId: ID!) {
    unshareDeal(dealId: $dealId, workspaceId: $workspaceId) {
      success message data { __typename id visibilityMode sharedWith { id name } }
    }
  }`;

describe("workspace-aware visibility", () => {
  const service = useTestService();
  const user = {} as Record<Caller, TestUser>;
  const deal = {} as Record<DealName, PipelineDeal>;
  let w1: string;
  let w2: string;
  let w3: string;
  let customerId: string;

  beforeAll(async () => {
    const { db } = service;
    user.olive = await createTenant(db);
    const org = user.olive.organizationId;
    w1 = user.olive.workspaceId;
    w2 = await createWorkspace(db, org, "W2");
    w3 = await createWorkspace(db, org, "W3");
    user.w1 = await createUser(db, org, w1);
    user.w2 = await createUser(db, org, w2);
    user.w3 = await createUser(db, org, w3);
    user.w12 = await createUser(db, org, w1, [w2]);
    user.w23 = await createUser(db, org, w2, [w3]);
    user.b = await createTenant(db);
    customerId = (await createCompany(db, org)).id;
    const bCustomerId = (await createCompany(db, user.b.organizationId)).id;

    const inW1 = { organizationId: org, workspaceId: w1, ownerId: user.olive.userId };
    const inW2 = { organizationId: org, workspaceId: w2, ownerId: user.w2.userId };
    const inW3 = { organizationId: org, workspaceId: w3, ownerId: user.w3.userId };
    const inB = { organizationId: user.b.organizationId, workspaceId: user.b.workspaceId, ownerId: user.b.userId };
    const { GLOBAL, WORKSPACE_LOCAL, SHARED } = VisibilityMode;
    deal.oppGlobal = await insertOpportunity(db, inW1, { customerId, visibilityMode: GLOBAL });
    deal.oppLocal = await insertOpportunity(db, inW1, { customerId, visibilityMode: WORKSPACE_LOCAL });
    deal.oppShared = await insertOpportunity(db, inW1, { customerId, visibilityMode: SHARED });
    deal.oppSharedWithNobody = await insertOpportunity(db, inW1, { customerId, visibilityMode: SHARED });
    deal.oppLocalWithShareRow = await insertOpportunity(db, inW1, { customerId, visibilityMode: WORKSPACE_LOCAL });
    deal.oppW2Local = await insertOpportunity(db, inW2, { customerId, visibilityMode: WORKSPACE_LOCAL });
    deal.refGlobal = await insertReferral(db, inW1, { visibilityMode: GLOBAL });
    deal.refLocal = await insertReferral(db, inW1, { visibilityMode: WORKSPACE_LOCAL });
    deal.refShared = await insertReferral(db, inW1, { visibilityMode: SHARED });
    deal.refW3Shared = await insertReferral(db, inW3, { visibilityMode: SHARED });
    deal.bOppGlobal = await insertOpportunity(db, inB, { customerId: bCustomerId, visibilityMode: GLOBAL });
    deal.bRefGlobal = await insertReferral(db, inB, { visibilityMode: GLOBAL });
    await insertRows(db.manager, DealShare, [
      { organizationId: org, dealId: deal.oppShared.id, workspaceId: w2 },
      // A share row does not widen a deal whose mode is not SHARED.
      { organizationId: org, dealId: deal.oppLocalWithShareRow.id, workspaceId: w2 },
      { organizationId: org, dealId: deal.refShared.id, workspaceId: w2 },
      { organizationId: org, dealId: deal.refW3Shared.id, workspaceId: w1 },
    ]);
  });

  const allDeals = () => Object.keys(deal) as DealName[];
  const isOpportunity = (name: DealName) => name.startsWith("opp") || name === "bOppGlobal";
  const nameOf = (id: string) => allDeals().find((name) => deal[name].id === id) ?? id;
  const sorted = (names: string[]) => [...names].sort();

  /** Every page of a list, as deal names. */
  async function walk(query: string, field: string, caller: Caller, variables: Record<string, unknown> = {}) {
    const names: string[] = [];
    const totals = new Set<number>();
    let after: string | null = null;
    do {
      const result: GraphQLResult = await service.http(query, { ...variables, after }, { key: user[caller].apiKey });
      const connection = dataOf(result)[field];
      totals.add(connection.totalCount);
      names.push(...connection.edges.map((e: { node: { id: string } }) => nameOf(e.node.id)));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    return { names, totals: [...totals] };
  }

  /** What a by-id query answers: the id, or the NOT_FOUND message with `<id>` in place of the id. */
  async function byId(query: string, field: string, caller: Caller, id: string) {
    const result = await service.http(query, { id }, { key: user[caller].apiKey });
    if (result.body.errors) {
      const error = errorOf(result);
      return { found: false, sql: result.sql, error: { message: error.message.replace(id, "<id>"), code: error.extensions?.code } };
    }
    return { found: true, sql: result.sql, data: dataOf(result)[field] };
  }

  describe.each(CALLERS)("as %s", (caller) => {
    const visible = VISIBLE[caller];

    it("opportunity(id) finds exactly the visible opportunities; any other is NOT_FOUND like a missing id", async () => {
      const missing = await byId(BY_ID, "opportunity", caller, randomUUID());
      expect(missing.error).toEqual({ message: "Opportunity <id> was not found.", code: "NOT_FOUND" });
      for (const name of allDeals().filter(isOpportunity)) {
        const answer = await byId(BY_ID, "opportunity", caller, deal[name].id);
        if (visible.includes(name)) expect({ name, data: answer.data }).toEqual({ name, data: { id: deal[name].id } });
        else expect({ name, error: answer.error }).toEqual({ name, error: missing.error });
      }
    });

    it("pipelineDeal(id) finds exactly the visible deals of both kinds, in 1 statement either way", async () => {
      const missing = await byId(DEAL_BY_ID, "pipelineDeal", caller, randomUUID());
      expect(missing.error).toEqual({ message: "Deal <id> was not found.", code: "NOT_FOUND" });
      for (const name of allDeals()) {
        const answer = await byId(DEAL_BY_ID, "pipelineDeal", caller, deal[name].id);
        // The deal: the key, used for `missing` above, is cached.
        expect(answer.sql).toBe(1);
        if (visible.includes(name)) {
          const __typename = isOpportunity(name) ? "Opportunity" : "ReferralOpportunity";
          expect({ name, data: answer.data }).toEqual({ name, data: { __typename, id: deal[name].id } });
        } else {
          expect({ name, error: answer.error }).toEqual({ name, error: missing.error });
        }
      }
    });

    it("referralOpportunity(id) finds exactly the visible referral deals", async () => {
      const missing = await byId(REFERRAL_BY_ID, "referralOpportunity", caller, randomUUID());
      for (const name of allDeals().filter((n) => !isOpportunity(n))) {
        const answer = await byId(REFERRAL_BY_ID, "referralOpportunity", caller, deal[name].id);
        if (visible.includes(name)) expect({ name, data: answer.data }).toEqual({ name, data: { id: deal[name].id } });
        else expect({ name, error: answer.error }).toEqual({ name, error: missing.error });
      }
    });

    it("opportunities lists exactly the visible opportunities, and counts only those", async () => {
      const { names, totals } = await walk(OPPORTUNITIES, "opportunities", caller);
      const expected = visible.filter(isOpportunity);
      expect(sorted(names)).toEqual(sorted(expected));
      expect(totals).toEqual([expected.length]);
    });

    it("referralOpportunities lists exactly the visible referral deals", async () => {
      const { names, totals } = await walk(REFERRALS, "referralOpportunities", caller);
      const expected = visible.filter((n) => !isOpportunity(n));
      expect(sorted(names)).toEqual(sorted(expected));
      expect(totals).toEqual([expected.length]);
    });

    it("a workspace filter narrows the visible opportunities and never widens them", async () => {
      for (const workspaceId of [w1, w2, w3]) {
        const { names } = await walk(OPPORTUNITIES, "opportunities", caller, { filter: { workspaceId } });
        const expected = visible.filter((n) => isOpportunity(n) && (deal[n] as PipelineDeal).workspaceId === workspaceId);
        expect({ workspaceId, names: sorted(names) }).toEqual({ workspaceId, names: sorted(expected) });
      }
    });
  });

  it("decides by membership, not by the current workspace (X-Workspace-Id)", async () => {
    for (const current of [w1, w2]) {
      const result = await service.http(DEAL_BY_ID, { id: deal.oppLocal.id }, { key: user.w12.apiKey, workspaceId: current });
      expect(dataOf(result).pipelineDeal.id).toBe(deal.oppLocal.id);
      const other = await service.http(DEAL_BY_ID, { id: deal.oppW2Local.id }, { key: user.w12.apiKey, workspaceId: current });
      expect(dataOf(other).pipelineDeal.id).toBe(deal.oppW2Local.id);
    }
  });

  describe("sharing", () => {
    let org: string;
    const fresh = (values: Partial<PipelineDeal> = {}, where: { workspaceId?: string; ownerId?: string } = {}) =>
      insertOpportunity(
        service.db,
        { organizationId: org, workspaceId: where.workspaceId ?? w1, ownerId: where.ownerId ?? user.olive.userId },
        { customerId, visibilityMode: VisibilityMode.WORKSPACE_LOCAL, ...values },
      );
    const share = (as: Caller, dealId: string, workspaceId: string) => service.http(SHARE, { dealId, workspaceId }, { key: user[as].apiKey });
    const unshare = (as: Caller, dealId: string, workspaceId: string) => service.http(UNSHARE, { dealId, workspaceId }, { key: user[as].apiKey });
    const sees = async (as: Caller, id: string) => !(await service.http(DEAL_BY_ID, { id }, { key: user[as].apiKey })).body.errors;
    const shareRows = async (dealId: string) =>
      (await service.db.query(`SELECT workspace_id FROM pipeline_deal_share WHERE deal_id = $1 ORDER BY workspace_id`, [dealId])).map(
        (r: { workspace_id: string }) => r.workspace_id,
      );
    const storedMode = async (dealId: string) =>
      (await service.db.query(`SELECT visibility_mode FROM pipeline_deal WHERE id = $1`, [dealId]))[0].visibility_mode;

    beforeAll(() => {
      org = user.olive.organizationId;
    });

    it("shares a WORKSPACE_LOCAL deal, which becomes SHARED and visible to the target workspace only", async () => {
      const target = await fresh();
      expect(await sees("olive", target.id)).toBe(true);
      expect(await sees("w2", target.id)).toBe(false);
      const result = await share("olive", target.id, w2);
      expect(dataOf(result).shareDeal).toMatchObject({
        success: true,
        message: "Deal shared successfully",
        data: { __typename: "Opportunity", id: target.id, visibilityMode: "SHARED", sharedWith: [{ id: w2, name: "W2" }] },
      });
      expect(new Date(dataOf(result).shareDeal.data.updatedAt).getTime()).toBeGreaterThan(target.updatedAt.getTime());
      expect(await storedMode(target.id)).toBe("shared");
      expect(await shareRows(target.id)).toEqual([w2]);
      expect(await sees("w2", target.id)).toBe(true);
      expect(await sees("w23", target.id)).toBe(true);
      expect(await sees("w3", target.id)).toBe(false);
      expect(await sees("b", target.id)).toBe(false);
      // The deal and the workspace; the share with the deal's write and its shares as they now are
      // (olive's key, used above, is cached).
      expect(result.sql).toBe(2);
    });

    it("is idempotent: sharing twice succeeds and keeps one share", async () => {
      const target = await fresh();
      await share("olive", target.id, w2);
      const again = await share("olive", target.id, w2);
      expect(dataOf(again).shareDeal).toMatchObject({ success: true, data: { visibilityMode: "SHARED", sharedWith: [{ id: w2 }] } });
      expect(await shareRows(target.id)).toEqual([w2]);
    });

    it("takes ids in upper case", async () => {
      const target = await fresh();
      const result = await share("olive", target.id.toUpperCase(), w2.toUpperCase());
      expect(dataOf(result).shareDeal.data).toMatchObject({ id: target.id, sharedWith: [{ id: w2 }] });
      expect(await shareRows(target.id)).toEqual([w2]);
      expect(fieldPaths(await share("olive", target.id, w1.toUpperCase()))).toEqual(["workspaceId"]);
    });

    it("lists every workspace a deal is shared with, by name", async () => {
      const target = await fresh();
      await share("olive", target.id, w3);
      const result = await share("olive", target.id, w2);
      expect(dataOf(result).shareDeal.data.sharedWith).toEqual([
        { id: w2, name: "W2" },
        { id: w3, name: "W3" },
      ]);
    });

    it("leaves a GLOBAL deal GLOBAL", async () => {
      const target = await fresh({ visibilityMode: VisibilityMode.GLOBAL });
      const result = await share("olive", target.id, w2);
      expect(dataOf(result).shareDeal.data).toMatchObject({ visibilityMode: "GLOBAL", sharedWith: [{ id: w2 }] });
      expect(await storedMode(target.id)).toBe("global");
    });

    it("unshares: the workspace no longer sees the deal, the mode stays SHARED, and unsharing twice is harmless", async () => {
      const target = await fresh();
      await share("olive", target.id, w2);
      await share("olive", target.id, w3);
      const result = await unshare("olive", target.id, w2);
      expect(dataOf(result).unshareDeal).toMatchObject({
        success: true,
        message: "Deal unshared successfully",
        data: { id: target.id, visibilityMode: "SHARED", sharedWith: [{ id: w3, name: "W3" }] },
      });
      expect(await sees("w2", target.id)).toBe(false);
      expect(await sees("w3", target.id)).toBe(true);
      expect(dataOf(await unshare("olive", target.id, w2)).unshareDeal.success).toBe(true);
      expect(await shareRows(target.id)).toEqual([w3]);
      expect(await storedMode(target.id)).toBe("shared");
    });

    it("is allowed to any member of the deal's workspace", async () => {
      const target = await fresh();
      expect(dataOf(await share("w1", target.id, w3)).shareDeal.success).toBe(true);
      expect(dataOf(await unshare("w12", target.id, w3)).unshareDeal.success).toBe(true);
    });

    it("is allowed to the owner who is not a member of the deal's workspace", async () => {
      const target = await fresh({ visibilityMode: VisibilityMode.GLOBAL }, { ownerId: user.w2.userId });
      expect(dataOf(await share("w2", target.id, w3)).shareDeal.data.sharedWith).toEqual([{ id: w3, name: "W3" }]);
      expect(dataOf(await unshare("w2", target.id, w3)).unshareDeal.data.sharedWith).toEqual([]);
    });

    it("is FORBIDDEN to those who can see the deal but neither own it nor work in its workspace", async () => {
      const target = await fresh({ visibilityMode: VisibilityMode.GLOBAL });
      await share("olive", target.id, w2);
      for (const [as, workspaceId] of [["w3", w3], ["w2", w3], ["w23", w2]] as Array<[Caller, string]>) {
        expect(errorOf(await share(as, target.id, workspaceId)).extensions?.code).toBe("FORBIDDEN");
        expect(errorOf(await unshare(as, target.id, w2)).extensions?.code).toBe("FORBIDDEN");
      }
      expect(await shareRows(target.id)).toEqual([w2]);
    });

    it("is NOT_FOUND, like a missing deal, to those who cannot see the deal, the owner included", async () => {
      // Written directly: createOpportunity would refuse an owner outside the deal's workspace.
      const target = await fresh({}, { ownerId: user.w3.userId, workspaceId: w2 });
      for (const as of ["w1", "w3", "b"] as Caller[]) {
        for (const mutation of [share, unshare]) {
          const error = errorOf(await mutation(as, target.id, w3));
          expect(error).toMatchObject({ message: `Deal ${target.id} was not found.`, extensions: { code: "NOT_FOUND" } });
        }
      }
      const missing = randomUUID();
      expect(errorOf(await share("olive", missing, w2))).toMatchObject({ message: `Deal ${missing} was not found.`, extensions: { code: "NOT_FOUND" } });
      expect(await shareRows(target.id)).toEqual([]);
    });

    it.each([
      ["that does not exist", () => randomUUID(), "exists"],
      ["of another organization", () => user.b.workspaceId, "exists"],
      ["that is not a UUID", () => "w2", "exists"],
      ["that is the deal's own", () => w1, "notOwnWorkspace"],
    ])("refuses a workspace %s, naming workspaceId, and writes nothing", async (_case, workspaceId, constraint) => {
      const target = await fresh();
      for (const mutation of [share, unshare]) {
        const result = await mutation("olive", target.id, workspaceId());
        expect(fieldPaths(result)).toEqual(["workspaceId"]);
        expect(errorOf(result).extensions!.fields[0].constraint).toBe(constraint);
      }
      expect(await shareRows(target.id)).toEqual([]);
      expect(await storedMode(target.id)).toBe("workspace_local");
    });

    it("shares referral deals too", async () => {
      const target = await insertReferral(service.db, { organizationId: org, workspaceId: w1, ownerId: user.olive.userId });
      expect(await sees("w3", target.id)).toBe(false);
      const result = await share("w12", target.id, w3);
      expect(dataOf(result).shareDeal.data).toMatchObject({ __typename: "ReferralOpportunity", visibilityMode: "SHARED" });
      expect(dataOf(await service.http(REFERRAL_BY_ID, { id: target.id }, { key: user.w3.apiKey })).referralOpportunity.id).toBe(target.id);
    });

    it("a newly created SHARED opportunity becomes visible to a workspace once shared with it", async () => {
      const created = dataOf(
        await service.http(
          `mutation ($input: CreateOpportunityInput!) { createOpportunity(input: $input) { data { id visibilityMode } } }`,
          { input: { customerId, title: "Shared from the start", pipelineType: "OTHER", visibilityMode: "SHARED" } },
          { key: user.olive.apiKey },
        ),
      ).createOpportunity.data;
      expect(await sees("w3", created.id)).toBe(false);
      await share("olive", created.id, w3);
      expect(await sees("w3", created.id)).toBe(true);
      const listed = await walk(OPPORTUNITIES, "opportunities", "w3");
      expect(listed.names).toContain(created.id);
    });
  });
});
