import { IsOptional } from "class-validator";
import { createHash } from "node:crypto";
import { ClassType, Field, InputType } from "type-graphql";
import { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { Context } from "../../core/context/context";
import { entityFromRaw } from "../../core/db/hydrate";
import { ConflictError, InputError, KEY_REUSED_CONSTRAINT } from "../../core/errors/errors";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank, MaxLength } from "../../core/validation/rules";
import { insertDeal, PlannedFacilitator } from "./deal.repository";
import { PipelineDeal } from "./pipeline-deal.entity";
import { whereVisibleTo } from "./visibility";

/** What every create-a-deal input has: the idempotency key that makes a retry safe. */
@InputType("CreateDealInput")
export abstract class CreateDealInput extends MutationInput {
  @Field(() => String, {
    nullable: true,
    description:
      "Makes the request safe to retry: a create sent again with the same key (up to 200 characters, " +
      "unique in your organization) answers with the deal the first request made instead of making another. " +
      "The same key with a different request is refused; a key can be used again once it has expired (24 hours by default).",
  })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(200)
  idempotencyKey?: string | null;
}

/** How long an idempotency key holds (IDEMPOTENCY_KEY_TTL_HOURS); set once at start. */
export const idempotency = { ttlMs: 24 * 3_600_000 };

/** Deals a create answered from an earlier request's key (a replay), for adapters that say so. */
const replays = new WeakSet<PipelineDeal>();

/** True when `deal` was not made by this request but by an earlier one with the same idempotency key. */
export function isReplay(deal: PipelineDeal): boolean {
  return replays.has(deal);
}

/**
 * What identifies a create request: its parsed input (defaults applied) without the key, with
 * keys in a fixed order. A retry sends the same input, so it has the same fingerprint.
 */
export function requestFingerprint(input: object): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value instanceof Date || value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, v]) => key !== "idempotencyKey" && v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, v]) => [key, canonical(v)]),
    );
  };
  return createHash("sha256").update(JSON.stringify(canonical(input))).digest("hex");
}

/**
 * Makes a new deal with its facilitators in the unit of work (one statement), or, for a create
 * whose idempotency key made a deal already, answers that deal (`created: false`): the key is
 * claimed by the deal's own insert, whose unique index decides, even between requests that race,
 * and nothing else is written when it yields. A key that made another kind of deal, or one the
 * caller cannot see, belongs to another request (CONFLICT); the same key with another request
 * is a field error; an expired key is released and used again (the release is idempotent: the
 * key had expired, whatever happens next).
 */
export async function createDeal<T extends PipelineDeal>(
  tx: Context,
  kind: ClassType<T>,
  values: QueryDeepPartialEntity<T>,
  input: CreateDealInput,
  facilitators: PlannedFacilitator[] = [],
): Promise<{ deal: T; created: boolean }> {
  const key = input.idempotencyKey ?? null;
  const row = { ...values, idempotencyKey: key, idempotencyFingerprint: key ? requestFingerprint(input) : null };
  for (let attempt = 0; ; attempt++) {
    const deal = await insertDeal(tx, kind, row, facilitators);
    if (deal) return { deal, created: true };
    const earlier = await dealWithKey(tx, key!, { visible: false });
    if (earlier && earlier.createdAt.getTime() < Date.now() - idempotency.ttlMs && attempt === 0) {
      await tx.db.query(
        `UPDATE pipeline_deal SET idempotency_key = NULL, idempotency_fingerprint = NULL WHERE organization_id = $1 AND id = $2`,
        [earlier.organizationId, earlier.id],
      );
      continue;
    }
    const visible = earlier ? await dealWithKey(tx, key!, { visible: true }) : null;
    if (!(visible instanceof kind)) {
      throw new ConflictError("This idempotency key was already used by another request; send a new key for a new deal.");
    }
    if (visible.idempotencyFingerprint && visible.idempotencyFingerprint !== row.idempotencyFingerprint) {
      throw new InputError([
        {
          path: "input.idempotencyKey",
          message: "this key was already used with a different request; send a new key for a new deal",
          constraint: KEY_REUSED_CONSTRAINT,
        },
      ]);
    }
    tx.loaders.deal.prime(visible.id, visible);
    replays.add(visible);
    return { deal: visible, created: false };
  }
}

/** The deal of the organization made with `key`: any, or only one the viewer can see. */
async function dealWithKey({ db, viewer }: Context, key: string, { visible }: { visible: boolean }): Promise<PipelineDeal | null> {
  const qb = db
    .getRepository(PipelineDeal)
    .createQueryBuilder("deal")
    .where("deal.organization_id = :organizationId AND deal.idempotency_key = :key", { organizationId: viewer.organizationId, key });
  const [row] = await (visible ? whereVisibleTo(qb, "deal", viewer) : qb).getRawMany();
  return row ? entityFromRaw<PipelineDeal>(qb, row) : null;
}
