/**
 * The OpenAPI 3.1 description of the REST routes (served at GET /api/openapi.json, committed as
 * openapi.json). Response schemas forbid unknown properties, and the tests validate every REST
 * answer they receive against them, so the document and the code cannot part ways.
 */
const uuid = { type: "string", format: "uuid" } as const;
const nullable = (schema: object) => ({ oneOf: [schema, { type: "null" }] });
const nullableString = { type: ["string", "null"] } as const;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const object = (properties: Record<string, object>, required = Object.keys(properties)) => ({
  type: "object",
  additionalProperties: false,
  required,
  properties,
});
const json = (schema: object, description: string, headers?: object) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema } },
});
const etag = { ETag: { description: 'The deal\'s version, as "<n>": send it back in If-Match.', schema: { type: "string" } } };
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), json(ref("Error"), ERROR_MEANING[status])]));
const ERROR_MEANING: Record<number, string> = {
  400: "Bad input (every offending field in error.fields) or malformed JSON; nothing was written.",
  401: "No valid API key.",
  403: "Not allowed: a workspace you are not a member of, or a deal you may see but not change.",
  404: "No such referral opportunity for you (another organization's ids behave the same).",
  405: "Method not allowed on this route (see the Allow header).",
  409: "Conflict: a stale expectedVersion, an archived deal, or an idempotency key used for another deal.",
  412: "If-Match names a version the deal is no longer at; the ETag header has the current one.",
  413: "Body too large.",
  415: "The body is not JSON (Content-Type: application/json).",
  422: "The Idempotency-Key was already used with a different request.",
  500: "Unexpected failure, masked: no internals.",
};
const idParameter = { name: "id", in: "path", required: true, description: "The deal's id (pipelineDealId).", schema: { type: "string" } };
const ifMatch = {
  name: "If-Match",
  in: "header",
  required: false,
  description: 'The ETag you read ("<version>"): a deal at another version answers 412 and nothing is written.',
  schema: { type: "string" },
};

export const referralOpenApi = {
  openapi: "3.1.0",
  info: {
    title: "dealgraph REST",
    version: "1.0.0",
    description:
      "The referral seed's REST contract, beside the GraphQL API at /graphql and over the same commands. " +
      "Authenticate with Authorization: Bearer <api key>; X-Workspace-Id picks the current workspace.",
  },
  security: [{ bearer: [] }],
  paths: {
    "/api/referral-opps": {
      post: {
        summary: "Create a referral opportunity",
        description:
          "Creates a REFERRAL pipeline deal with its facilitators (the connector and auto-added referral sources). " +
          "Empty strings for connectorId and productId mean not given. The connector defaults to you.",
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            required: false,
            description: "Makes a retry safe: the same key answers the first request's deal with Idempotent-Replayed: true.",
            schema: { type: "string", maxLength: 200 },
          },
        ],
        requestBody: { required: true, content: { "application/json": { schema: ref("CreateReferralOpportunity") } } },
        responses: {
          "201": json(ref("DealEnvelope"), "Created (or, with a replayed Idempotency-Key, the deal the first request made).", {
            ...etag,
            "Idempotent-Replayed": { description: "true when the answer is a replay.", schema: { type: "string" } },
          }),
          ...errors(400, 401, 403, 405, 409, 413, 415, 422, 500),
        },
      },
      get: {
        summary: "List referral opportunities",
        description: "The deals you can see, newest first; archived deals are left out.",
        parameters: [
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
          { name: "cursor", in: "query", required: false, description: "pagination.nextCursor of the page before.", schema: { type: "string" } },
          ...["stageId", "seekerId", "providerId", "connectorId"].map((name) => ({ name, in: "query", required: false, schema: uuid })),
          ...["createdAfter", "createdBefore"].map((name) => ({ name, in: "query", required: false, schema: { type: "string", format: "date-time" } })),
        ],
        responses: { "200": json(ref("DealList"), "A page of deals."), ...errors(400, 401, 403, 500) },
      },
    },
    "/api/referral-opps/{id}": {
      get: {
        summary: "Read a referral opportunity",
        parameters: [idParameter],
        responses: { "200": json(ref("DealRead"), "The deal.", etag), ...errors(401, 403, 404, 500) },
      },
      patch: {
        summary: "Update a referral opportunity",
        description: "Patch semantics: fields left out stay, null clears an optional field. Changing a party plans the facilitators again.",
        parameters: [idParameter, ifMatch],
        requestBody: { required: true, content: { "application/json": { schema: ref("UpdateReferralOpportunity") } } },
        responses: { "200": json(ref("DealEnvelope"), "The deal as stored.", etag), ...errors(400, 401, 403, 404, 409, 412, 413, 415, 500) },
      },
      delete: {
        summary: "Archive a referral opportunity",
        description: "A soft delete: lists leave it out, a read by id still answers; idempotent.",
        parameters: [idParameter, ifMatch],
        responses: { "200": json(ref("DealEnvelope"), "The archived deal.", etag), ...errors(401, 403, 404, 409, 412, 500) },
      },
    },
    "/api/referral-opps/{id}/stage": {
      post: {
        summary: "Move a referral opportunity to another stage",
        description: "The move is recorded in the deal's stage history; a won or lost stage closes the deal.",
        parameters: [idParameter, ifMatch],
        requestBody: { required: true, content: { "application/json": { schema: ref("MoveReferralOpportunity") } } },
        responses: { "200": json(ref("DealEnvelope"), "The deal in its new stage.", etag), ...errors(400, 401, 403, 404, 409, 412, 413, 415, 500) },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key (dg_…)." } },
    schemas: {
      Company: object({ id: uuid, name: { type: "string" } }),
      Stage: object({ id: uuid, label: { type: "string" }, color: { type: "string" }, description: nullableString, sortOrder: { type: "integer" } }),
      Owner: object({ id: uuid, firstName: nullableString, lastName: nullableString, email: nullableString }),
      Party: object({
        type: { enum: ["USER", "CONTACT"] },
        id: uuid,
        firstName: nullableString,
        lastName: nullableString,
        email: nullableString,
        name: nullableString,
        company: nullable(ref("Company")),
      }),
      Connector: object({ id: uuid, firstName: nullableString, lastName: nullableString, email: nullableString, company: nullable(ref("Company")) }),
      Facilitator: object({
        id: uuid,
        userId: uuid,
        companyId: nullable(uuid),
        role: { enum: ["connector", "referral_source"] },
        side: { enum: ["seeker", "provider"] },
        user: ref("Owner"),
        company: nullable(ref("Company")),
      }),
      ReferralOpportunity: object({
        id: uuid,
        pipelineDealId: uuid,
        name: { type: "string" },
        description: nullableString,
        expectedValue: { type: ["number", "null"] },
        currency: { type: "string", pattern: "^[A-Z]{3}$" },
        stage: ref("Stage"),
        owner: ref("Owner"),
        seeker: ref("Party"),
        provider: ref("Party"),
        connector: ref("Connector"),
        facilitators: { type: "array", items: ref("Facilitator") },
        createdAt: { type: "string", format: "date-time" },
        updatedAt: { type: "string", format: "date-time" },
      }),
      DealEnvelope: object({ success: { const: true }, data: ref("ReferralOpportunity"), message: { type: "string" } }),
      DealRead: object({ success: { const: true }, data: ref("ReferralOpportunity") }),
      DealList: object({
        success: { const: true },
        data: { type: "array", items: ref("ReferralOpportunity") },
        pagination: object({ nextCursor: nullableString, hasMore: { type: "boolean" } }),
      }),
      Error: object(
        {
          success: { const: false },
          message: { type: "string" },
          error: {
            type: "object",
            additionalProperties: false,
            required: ["code"],
            properties: {
              code: { type: "string" },
              reason: { type: "string" },
              currentVersion: { type: "integer" },
              fields: {
                type: "array",
                items: object({ path: { type: "string" }, message: { type: "string" }, constraint: { type: "string" } }),
              },
            },
          },
        },
        ["success", "message", "error"],
      ),
      CreateReferralOpportunity: {
        type: "object",
        required: ["seekerId", "providerId"],
        properties: {
          seekerId: { ...uuid, description: "The person looking for a solution." },
          providerId: { ...uuid, description: "The person providing the solution." },
          connectorId: { type: "string", description: "The person making the introduction; you when omitted or empty." },
          name: { type: "string", maxLength: 200, description: "Omitted or blank: <seeker's employer> → <provider's employer>." },
          description: { type: "string", maxLength: 1000 },
          expectedValue: { type: "number", minimum: 0 },
          currency: { type: "string", minLength: 3, maxLength: 3, default: "USD" },
          productId: { type: "string", description: "The product the referral is about; empty for none." },
          idempotencyKey: { type: "string", maxLength: 200 },
        },
      },
      UpdateReferralOpportunity: {
        type: "object",
        properties: {
          seekerId: uuid,
          providerId: uuid,
          connectorId: uuid,
          name: { type: ["string", "null"], maxLength: 200 },
          description: { type: ["string", "null"], maxLength: 1000 },
          expectedValue: { type: ["number", "null"], minimum: 0 },
          currency: { type: "string", minLength: 3, maxLength: 3 },
          productId: nullable(uuid),
          expectedVersion: { type: "integer", minimum: 1 },
        },
      },
      MoveReferralOpportunity: object({ stageId: uuid }),
    },
  },
};
