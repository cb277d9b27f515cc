import { ApolloClient, gql, HttpLink, InMemoryCache, TypePolicies } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import fs from "node:fs";
import path from "node:path";
import { createCompany, createPerson, createTenant, createWorkspace, insertReferral, TestUser } from "./factories";
import { useTestService } from "./support/harness";

/** The cache setup the README shows, with the committed possible-types.json. */
const possibleTypes = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "possible-types.json"), "utf8")) as Record<string, string[]>;
const typePolicies: TypePolicies = {
  Query: {
    fields: {
      referralOpportunities: relayStylePagination(["filter", "orderBy"]),
      opportunities: relayStylePagination(["filter", "orderBy"]),
      people: relayStylePagination(["filter"]),
      companies: relayStylePagination(["filter"]),
    },
  },
  // Unsharing shrinks the list: the server's answer replaces what the cache had.
  PipelineDeal: { fields: { sharedWith: { merge: false } } },
};

const DEAL_FIELDS = gql`
  fragment DealFields on PipelineDeal {
    id
    pipelineDealId
    name
    description
    currency
    visibilityMode
    createdAt
    updatedAt
    stage { id key label }
    owner { id firstName lastName }
    workspace { id name }
    sharedWith { id name }
    ... on ReferralOpportunity {
      expectedValue
      seeker { id firstName company { id name } }
      provider { id firstName company { id name } }
    }
  }
`;

const LIST = gql`
  query Referrals($first: Int!, $after: String) {
    referralOpportunities(first: $first, after: $after) {
      totalCount
      edges { cursor node { ...DealFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${DEAL_FIELDS}
`;

const CREATE = gql`
  mutation Create($input: CreateReferralOpportunityInput!) {
    createReferralOpportunity(input: $input) { success message data { ...DealFields } }
  }
  ${DEAL_FIELDS}
`;

const SHARE = gql`
  mutation Share($dealId: ID!, $workspaceId: ID!) {
    shareDeal(dealId: $dealId, workspaceId: $workspaceId) { success data { id visibilityMode sharedWith { id name } } }
  }
`;

const UNSHARE = gql`
  mutation Unshare($dealId: ID!, $workspaceId: ID!) {
    unshareDeal(dealId: $dealId, workspaceId: $workspaceId) { success data { id visibilityMode sharedWith { id name } } }
  }
`;

const DEAL = gql`
  query Deal($id: ID!) { pipelineDeal(id: $id) { ...DealFields } }
  ${DEAL_FIELDS}
`;

describe("Apollo Client against the running service", () => {
  const service = useTestService();
  let user: TestUser;
  let client: ApolloClient;
  let otherWorkspace: string;

  beforeAll(async () => {
    user = await createTenant(service.db);
    otherWorkspace = await createWorkspace(service.db, user.organizationId, "Partners");
    // Three older deals, so the list has pages.
    for (let i = 0; i < 3; i++) await insertReferral(service.db, { organizationId: user.organizationId, workspaceId: user.workspaceId, ownerId: user.userId });
    client = new ApolloClient({
      link: new HttpLink({ uri: service.url, headers: { authorization: `Bearer ${user.apiKey}` } }),
      cache: new InMemoryCache({ possibleTypes, typePolicies }),
    });
  });

  /** Reads a query from the cache alone, failing on any field the cache does not have. */
  function fromCache<T>(query: typeof LIST, variables: Record<string, unknown>): T {
    const diff = client.cache.diff<T>({ query, variables, returnPartialData: true, optimistic: false });
    expect(diff.missing).toBeUndefined();
    expect(diff.complete).toBe(true);
    return diff.result as T;
  }

  it("lists, creates, reads back through a fragment on PipelineDeal, shares, unshares and paginates", async () => {
    const first = await client.query<any>({ query: LIST, variables: { first: 2 } });
    expect(first.error).toBeUndefined();
    expect(first.data!.referralOpportunities.edges).toHaveLength(2);
    expect(first.data!.referralOpportunities.pageInfo.hasNextPage).toBe(true);

    const acme = await createCompany(service.db, user.organizationId, "Acme Inc");
    const beta = await createCompany(service.db, user.organizationId, "Beta Solutions LLC");
    const seeker = await createPerson(service.db, user.organizationId, { firstName: "Alice", companyId: acme.id });
    const provider = await createPerson(service.db, user.organizationId, { firstName: "Bob", companyId: beta.id });
    const created = await client.mutate<any>({ mutation: CREATE, variables: { input: { seekerId: seeker.id, providerId: provider.id, expectedValue: 500 } } });
    const deal = created.data!.createReferralOpportunity.data;
    expect(deal).toMatchObject({ __typename: "ReferralOpportunity", name: "Acme Inc → Beta Solutions LLC", sharedWith: [] });

    // The deal is normalised: a fragment on the interface reads it whole from the cache.
    const cacheId = client.cache.identify(deal)!;
    expect(cacheId).toBe(`ReferralOpportunity:${deal.id}`);
    const fragment = client.readFragment({ id: cacheId, fragment: DEAL_FIELDS, fragmentName: "DealFields" });
    expect(fragment).toEqual(deal);
    const read = await client.query<any>({ query: DEAL, variables: { id: deal.id }, fetchPolicy: "network-only" });
    expect(read.data!.pipelineDeal).toEqual(deal);
    expect(fromCache<any>(DEAL, { id: deal.id }).pipelineDeal).toEqual(deal);

    const shared = await client.mutate<any>({ mutation: SHARE, variables: { dealId: deal.id, workspaceId: otherWorkspace } });
    expect(shared.data!.shareDeal.data.sharedWith).toEqual([{ __typename: "Workspace", id: otherWorkspace, name: "Partners" }]);
    expect(client.readFragment({ id: cacheId, fragment: DEAL_FIELDS, fragmentName: "DealFields" })).toMatchObject({
      visibilityMode: "SHARED",
      sharedWith: [{ id: otherWorkspace, name: "Partners" }],
    });
    await client.mutate<any>({ mutation: UNSHARE, variables: { dealId: deal.id, workspaceId: otherWorkspace } });
    expect(client.readFragment<any>({ id: cacheId, fragment: DEAL_FIELDS, fragmentName: "DealFields" })!.sharedWith).toEqual([]);

    // Pages: the newest first (the new deal), then the rest through fetchMore, merged into one list.
    const watched = client.watchQuery<any>({ query: LIST, variables: { first: 2 }, fetchPolicy: "network-only" });
    const page1 = await watched.refetch();
    expect(page1.data!.referralOpportunities.edges[0].node.id).toBe(deal.id);
    let after = page1.data!.referralOpportunities.pageInfo.endCursor;
    let more = true;
    while (more) {
      const next = await watched.fetchMore({ variables: { first: 2, after } });
      after = next.data!.referralOpportunities.pageInfo.endCursor;
      more = next.data!.referralOpportunities.pageInfo.hasNextPage;
    }
    const merged = fromCache<any>(LIST, { first: 2 }).referralOpportunities;
    const ids = merged.edges.map((e: any) => e.node.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    expect(merged.totalCount).toBe(4);
    expect(merged.pageInfo.hasNextPage).toBe(false);
    for (const edge of merged.edges) {
      expect(client.readFragment({ id: client.cache.identify(edge.node)!, fragment: DEAL_FIELDS, fragmentName: "DealFields" })).toEqual(edge.node);
    }
  });
});
