import { IsOptional, MaxLength } from "class-validator";
import { ClassType, Field, InputType } from "type-graphql";
import type { Context } from "../../core/context/context";
import { entityFromRaw } from "../../core/db/hydrate";
import { ConflictError } from "../../core/errors/errors";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank } from "../../core/validation/rules";
import { PipelineDeal } from "./pipeline-deal.entity";
import { whereVisibleTo } from "./visibility";

/** What every create-a-deal input has: the idempotency key that makes a retry safe. */
@InputType("CreateDealInput")
export abstract class CreateDealInput extends MutationInput {
  @Field(() => String, {
    nullable: true,
    description:
      "Makes the request safe to retry: a create sent again with the same key (up to 200 characters, " +
      "unique in your organization) answers with the deal the first request made instead of making another.",
  })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(200)
  idempotencyKey?: string | null;
}

/** Deals a create answered from an earlier request's key (a replay), for adapters that say so. */
const replays = new WeakSet<PipelineDeal>();

/** True when `deal` was not made by this request but by an earlier one with the same idempotency key. */
export function isReplay(deal: PipelineDeal): boolean {
  return replays.has(deal);
}

/**
 * The deal an earlier create made with `key`, for a request whose insert found the key taken.
 * A key that made another kind of deal, or a deal the caller cannot see, belongs to another
 * request: CONFLICT.
 */
export async function dealCreatedEarlier<T extends PipelineDeal>({ db, viewer, loaders }: Context, kind: ClassType<T>, key: string): Promise<T> {
  const qb = db.getRepository(PipelineDeal).createQueryBuilder("deal").where("deal.idempotency_key = :key", { key });
  const [row] = await whereVisibleTo(qb, "deal", viewer).getRawMany();
  const deal = row ? entityFromRaw<PipelineDeal>(qb, row) : null;
  if (!(deal instanceof kind)) {
    throw new ConflictError("This idempotency key was already used by another request; send a new key for a new deal.");
  }
  loaders.deal.prime(deal.id, deal);
  replays.add(deal);
  return deal;
}
