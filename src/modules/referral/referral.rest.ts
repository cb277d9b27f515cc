import { isISO8601, isUUID } from "class-validator";
import { execute, parse } from "graphql";
import type { Context } from "../../core/context/context";
import { graphQLData, RestError, RestRequest, RestResponse, RestRoute } from "../../core/http/rest";
import { ConflictError, ErrorCode, FieldError, InputError } from "../../core/errors/errors";
import { MAX_PAGE_SIZE } from "../../core/pagination/connection";
import { getSchema } from "../../schema";
import { isReplay } from "../deal/deal-creation";
import { dealCommands } from "../deal/deal.commands";
import { ReferralOpportunity } from "./referral-opportunity.entity";
import { referralCommands } from "./referral.commands";

/**
 * The referral seed's REST contract, `POST /api/referral-opps`, and the routes around it. Every
 * route calls the command the GraphQL mutation calls, then reads the answer through the GraphQL
 * schema with the seed's selection, on the same request context: the two APIs cannot disagree,
 * and the read costs no statement the GraphQL mutation would not.
 */

/** The seed's `data`, field for field. */
export const SEED_FIELDS = `
  id pipelineDealId name description expectedValue currency
  stage { id label color description sortOrder }
  owner { id firstName lastName email }
  seeker { type id firstName lastName email name company { id name } }
  provider { type id firstName lastName email name company { id name } }
  connector { id firstName lastName email company { id name } }
  facilitators { id userId companyId role side user { id firstName lastName email } company { id name } }
  createdAt updatedAt`;

const BY_ID = parse(`query ReferralById($id: ID!) { referralOpportunity(id: $id) { ${SEED_FIELDS} version } }`);
const LIST = parse(`
  query ReferralList($first: Int!, $after: String, $filter: ReferralOpportunityFilter) {
    referralOpportunities(first: $first, after: $after, filter: $filter) {
      pageInfo { hasNextPage endCursor }
      edges { node { ${SEED_FIELDS} } }
    }
  }`);

type SeedDeal = Record<string, unknown> & { facilitators: Array<Record<string, unknown>> };

/** GraphQL's spelling to the seed's: role and side in lower case, the value a JSON number. */
function seedShape(deal: SeedDeal): SeedDeal {
  const { version: _version, ...rest } = deal;
  return {
    ...rest,
    expectedValue: deal.expectedValue === null ? null : Number(deal.expectedValue),
    facilitators: deal.facilitators.map((f) => ({ ...f, role: String(f.role).toLowerCase(), side: String(f.side).toLowerCase() })),
  };
}

/** The deal as the seed shows it, with its version for the ETag. */
async function render(ctx: Context, id: string): Promise<{ data: SeedDeal; etag: string }> {
  const result = await execute({ schema: await getSchema(), document: BY_ID, contextValue: ctx, variableValues: { id } });
  const deal = graphQLData<{ referralOpportunity: SeedDeal }>(result).referralOpportunity;
  return { data: seedShape(deal), etag: `"${deal.version}"` };
}

async function answer(ctx: Context, deal: ReferralOpportunity, status: number, message?: string): Promise<RestResponse> {
  const { data, etag } = await render(ctx, deal.id);
  return { status, headers: { etag }, body: message ? { success: true, data, message } : { success: true, data } };
}

/** The seed sends "" for optional ids it does not give: they mean "not given". */
function withoutEmptyIds(body: unknown, fields: string[]): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  const copy = { ...(body as Record<string, unknown>) };
  for (const field of fields) if (copy[field] === "") delete copy[field];
  return copy;
}

/** `If-Match: "3"` (or W/"3") as the version the write expects; `*` and no header expect none. */
function expectedVersion({ headers }: RestRequest): number | undefined {
  const raw = headers["if-match"];
  if (raw === undefined || raw.trim() === "*") return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(raw);
  if (!match || Number(match[1]) < 1) {
    throw new RestError(400, ErrorCode.BAD_USER_INPUT, 'If-Match must be an ETag this API sent, such as "3".', [
      { path: "If-Match", message: 'If-Match must be an ETag such as "3"', constraint: "isETag" },
    ]);
  }
  return Number(match[1]);
}

/** Runs a versioned write: a version mismatch named by If-Match is 412, not 409. */
async function versioned<T>(request: RestRequest, write: (version: number | undefined) => Promise<T>): Promise<T> {
  const version = expectedVersion(request);
  try {
    return await write(version);
  } catch (error) {
    if (version !== undefined && error instanceof ConflictError && error.extensions.reason === "VERSION_MISMATCH") {
      const { currentVersion, reason } = error.extensions;
      throw new RestError(412, ErrorCode.CONFLICT, error.message, undefined, { etag: `"${currentVersion}"` }, { reason, currentVersion });
    }
    throw error;
  }
}

/** The writes of these routes take referral deals only: an opportunity's id is 404, as a missing one. */
const REFERRALS_ONLY = { kind: ReferralOpportunity, name: "Referral opportunity" };

const LIST_PARAMS = ["limit", "cursor", "stageId", "seekerId", "providerId", "connectorId", "createdAfter", "createdBefore"];

export const referralRoutes: RestRoute[] = [
  {
    method: "POST",
    path: "/api/referral-opps",
    async handle(request) {
      const body = withoutEmptyIds(request.body, ["connectorId", "productId"]) as Record<string, unknown>;
      const key = request.headers["idempotency-key"];
      const input = typeof key === "string" && body && typeof body === "object" && !Array.isArray(body) ? { ...body, idempotencyKey: body.idempotencyKey ?? key } : body;
      const deal = await referralCommands.create(request.ctx, input);
      const response = await answer(request.ctx, deal, 201, "Referral opportunity created successfully");
      if (isReplay(deal)) response.headers!["idempotent-replayed"] = "true";
      return response;
    },
  },
  {
    method: "GET",
    path: "/api/referral-opps/:id",
    async handle({ ctx, params }) {
      const { data, etag } = await render(ctx, params.id);
      return { status: 200, headers: { etag }, body: { success: true, data } };
    },
  },
  {
    method: "GET",
    path: "/api/referral-opps",
    async handle({ ctx, query }) {
      const problems: FieldError[] = [];
      for (const name of query.keys()) {
        if (!LIST_PARAMS.includes(name)) problems.push({ path: name, message: `${name} is not a parameter of this list`, constraint: "isKnownParameter" });
      }
      const limitText = query.get("limit");
      const limit = limitText === null ? 20 : Number(limitText);
      if (!/^\d+$/.test(limitText ?? "20") || limit < 1 || limit > MAX_PAGE_SIZE) {
        problems.push({ path: "limit", message: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`, constraint: "isInt" });
      }
      const filter: Record<string, string> = {};
      for (const name of ["stageId", "seekerId", "providerId", "connectorId"]) {
        const value = query.get(name);
        if (value === null || value === "") continue;
        if (isUUID(value)) filter[name] = value;
        else problems.push({ path: name, message: `${name} must be a UUID`, constraint: "isUuid" });
      }
      for (const name of ["createdAfter", "createdBefore"]) {
        const value = query.get(name);
        if (value === null || value === "") continue;
        if (isISO8601(value, { strict: true }) && /T/.test(value)) filter[name] = value;
        else problems.push({ path: name, message: `${name} must be an ISO 8601 date-time`, constraint: "isDate" });
      }
      if (problems.length > 0) throw new InputError(problems);
      type ListData = { referralOpportunities: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: SeedDeal }> } };
      let result: ListData;
      try {
        result = graphQLData<ListData>(
          await execute({ schema: await getSchema(), document: LIST, contextValue: ctx, variableValues: { first: limit, after: query.get("cursor") || null, filter } }),
        );
      } catch (error) {
        // The list's own argument is `after`; here it is the `cursor` parameter.
        if (error instanceof InputError) throw new InputError(error.fields.map((f) => ({ ...f, path: f.path === "after" ? "cursor" : f.path })));
        throw error;
      }
      const { pageInfo, edges } = result.referralOpportunities;
      return {
        status: 200,
        body: {
          success: true,
          data: edges.map((edge) => seedShape(edge.node)),
          pagination: { nextCursor: pageInfo.hasNextPage ? pageInfo.endCursor : null, hasMore: pageInfo.hasNextPage },
        },
      };
    },
  },
  {
    method: "PATCH",
    path: "/api/referral-opps/:id",
    async handle(request) {
      const deal = await versioned(request, (version) => {
        const body = withoutEmptyIds(request.body, ["connectorId", "productId", "seekerId", "providerId"]);
        const input = version !== undefined && body && typeof body === "object" && !Array.isArray(body) ? { ...body, expectedVersion: version } : body;
        return referralCommands.update(request.ctx, request.params.id, input);
      });
      return answer(request.ctx, deal, 200, "Referral opportunity updated successfully");
    },
  },
  {
    method: "POST",
    path: "/api/referral-opps/:id/stage",
    async handle(request) {
      const body = (request.body && typeof request.body === "object" && !Array.isArray(request.body) ? request.body : {}) as Record<string, unknown>;
      const unknown = Object.keys(body).filter((key) => key !== "stageId");
      if (unknown.length > 0) {
        throw new InputError(unknown.map((key) => ({ path: key, message: `${key} is not a field of this request`, constraint: "isKnownField" })));
      }
      const deal = await versioned(request, (version) =>
        dealCommands.move(request.ctx, { id: request.params.id, stageId: body.stageId, expectedVersion: version }, REFERRALS_ONLY),
      );
      return answer(request.ctx, deal as ReferralOpportunity, 200, "Referral opportunity moved successfully");
    },
  },
  {
    method: "DELETE",
    path: "/api/referral-opps/:id",
    async handle(request) {
      const deal = await versioned(request, (version) =>
        dealCommands.archive(request.ctx, { id: request.params.id, expectedVersion: version }, REFERRALS_ONLY),
      );
      return answer(request.ctx, deal as ReferralOpportunity, 200, "Referral opportunity archived successfully");
    },
  },
];
