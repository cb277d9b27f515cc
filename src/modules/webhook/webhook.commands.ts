import { EntityManager } from "typeorm";
import { parseInput } from "../../core/commands/parse-input";
import { entityFromColumns } from "../../core/db/hydrate";
import { NotFoundError } from "../../core/errors/errors";
import { InputProblems } from "../../core/errors/field-errors";
import { newWebhookSecret } from "./webhook.signature";
import { WebhookDelivery, WebhookEndpoint } from "./webhook.entities";
import { CreateWebhookEndpointArgs, UpdateWebhookEndpointArgs, WebhookDeliveriesArgs, WebhookEndpointIdArgs } from "./webhook.inputs";
import { urlProblem, UrlPolicy } from "./webhook.url";

/** Set once at start from the config (WEBHOOK_ALLOW_PRIVATE, NODE_ENV); see app.ts and cli.ts. */
export const webhookUrlPolicy: UrlPolicy = { allowPrivate: true };

/** A new endpoint with the only copy of its secret the API ever answers. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpoint;
  secret: string;
}

// UPDATE and DELETE are wrapped in WITH … SELECT: TypeORM answers a bare one with [rows, count].

/**
 * An organization's webhook endpoints: the GraphQL mutations and the CLI call these with plain
 * arguments. Each is one statement, scoped to the organization: another organization's endpoint
 * is not found.
 */
export const webhookCommands = {
  async create(db: EntityManager, organizationId: string, plain: unknown): Promise<EndpointWithSecret> {
    const { input, problems } = await parseInput(CreateWebhookEndpointArgs, plain, "");
    await checkUrl(problems, input.url);
    problems.throwIfAny();
    const secret = newWebhookSecret();
    const [row] = await db.query(
      `INSERT INTO webhook_endpoint (organization_id, url, events, description, secret) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [organizationId, input.url, input.events, input.description?.trim() || null, secret],
    );
    return { endpoint: endpointOf(db, row), secret };
  },

  async update(db: EntityManager, organizationId: string, plain: unknown): Promise<WebhookEndpoint> {
    const { input, problems } = await parseInput(UpdateWebhookEndpointArgs, plain, "");
    if (input.url !== undefined) await checkUrl(problems, input.url);
    problems.throwIfAny();
    // Turning an endpoint on again starts it afresh: no reason, no failure streak.
    const [row] = await db.query(
      `WITH updated AS (UPDATE webhook_endpoint
          SET url = COALESCE($3, url), events = COALESCE($4, events),
              description = CASE WHEN $5 THEN $6 ELSE description END,
              enabled = COALESCE($7, enabled),
              disabled_reason = CASE WHEN $7 IS NULL THEN disabled_reason ELSE NULL END,
              failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
              updated_at = now()
        WHERE organization_id = $1 AND id = $2
       RETURNING *) SELECT * FROM updated`,
      [
        organizationId,
        input.id.toLowerCase(),
        input.url ?? null,
        input.events ?? null,
        input.description !== undefined,
        input.description?.trim() || null,
        input.enabled ?? null,
      ],
    );
    if (!row) throw new NotFoundError("Webhook endpoint", input.id);
    return endpointOf(db, row);
  },

  /** Deletes the endpoint with its deliveries and their attempts; answers the endpoint as it was. */
  async delete(db: EntityManager, organizationId: string, plain: unknown): Promise<WebhookEndpoint> {
    const { input, problems } = await parseInput(WebhookEndpointIdArgs, plain, "");
    problems.throwIfAny();
    const [row] = await db.query(`WITH deleted AS (DELETE FROM webhook_endpoint WHERE organization_id = $1 AND id = $2 RETURNING *) SELECT * FROM deleted`, [
      organizationId,
      input.id.toLowerCase(),
    ]);
    if (!row) throw new NotFoundError("Webhook endpoint", input.id);
    return endpointOf(db, row);
  },

  /** A new secret: every attempt from now on is signed with it; the old one stops at once. */
  async rollSecret(db: EntityManager, organizationId: string, plain: unknown): Promise<EndpointWithSecret> {
    const { input, problems } = await parseInput(WebhookEndpointIdArgs, plain, "");
    problems.throwIfAny();
    const secret = newWebhookSecret();
    const [row] = await db.query(
      `WITH rolled AS (UPDATE webhook_endpoint SET secret = $3, updated_at = now() WHERE organization_id = $1 AND id = $2 RETURNING *)
       SELECT * FROM rolled`,
      [organizationId, input.id.toLowerCase(), secret],
    );
    if (!row) throw new NotFoundError("Webhook endpoint", input.id);
    return { endpoint: endpointOf(db, row), secret };
  },

  async list(db: EntityManager, organizationId: string): Promise<WebhookEndpoint[]> {
    const rows = await db.query(`SELECT * FROM webhook_endpoint WHERE organization_id = $1 ORDER BY created_at, id`, [organizationId]);
    return rows.map((row: Record<string, unknown>) => endpointOf(db, row));
  },

  /** The newest deliveries of one endpoint, newest first; NOT_FOUND for an endpoint not of the organization. */
  async deliveries(db: EntityManager, organizationId: string, plain: unknown): Promise<WebhookDelivery[]> {
    const { input, problems } = await parseInput(WebhookDeliveriesArgs, { first: 50, ...(plain as object) }, "");
    problems.throwIfAny();
    // The endpoint row is the anchor, so a missing endpoint is told apart from one without deliveries.
    const rows: Array<Record<string, unknown>> = await db.query(
      `SELECT delivery.* FROM webhook_endpoint endpoint
         LEFT JOIN LATERAL (
           SELECT * FROM webhook_delivery d
            WHERE d.organization_id = endpoint.organization_id AND d.endpoint_id = endpoint.id
            ORDER BY d.created_at DESC, d.event_position DESC LIMIT $3
         ) delivery ON true
        WHERE endpoint.organization_id = $1 AND endpoint.id = $2`,
      [organizationId, input.endpointId.toLowerCase(), input.first],
    );
    if (rows.length === 0) throw new NotFoundError("Webhook endpoint", input.endpointId);
    const metadata = db.connection.getMetadata(WebhookDelivery);
    return rows.filter((row) => row.id !== null).map((row) => entityFromColumns<WebhookDelivery>(metadata, row));
  },
};

async function checkUrl(problems: InputProblems, url: string | undefined): Promise<void> {
  if (url === undefined || problems.has("url")) return;
  const problem = await urlProblem(url, webhookUrlPolicy);
  if (problem) problems.add("url", problem, "isWebhookUrl");
}

function endpointOf(db: EntityManager, row: Record<string, unknown>): WebhookEndpoint {
  return entityFromColumns<WebhookEndpoint>(db.connection.getMetadata(WebhookEndpoint), row);
}
