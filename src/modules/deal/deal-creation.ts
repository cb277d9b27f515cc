import { IsOptional } from "class-validator";
import { ClassType, Field, InputType } from "type-graphql";
import type { Context } from "../../core/context/context";
import { EntityManager } from "typeorm";
import { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { entityFromRaw } from "../../core/db/hydrate";
import { insertRow, insertRowUnlessConflict } from "../../core/db/insert";
import { ConflictError } from "../../core/errors/errors";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank, MaxLength } from "../../core/validation/rules";
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

/**
 * Inserts a new deal. With an idempotency key the insert yields to a deal an earlier request
 * made under the same key (the unique index decides, even between requests that race): then it
 * writes nothing and answers null.
 */
export function insertDeal<T extends PipelineDeal>(
  manager: EntityManager,
  kind: ClassType<T>,
  values: QueryDeepPartialEntity<T> & { idempotencyKey: string | null },
): Promise<T | null> {
  return values.idempotencyKey ? insertRowUnlessConflict(manager, kind, values) : insertRow(manager, kind, values);
}

/**
 * The deal an earlier create made with `key`, for a request whose insert found the key taken.
 * A key that made another kind of deal, or a deal the caller cannot see, belongs to another
 * request: CONFLICT.
 */
export async function dealCreatedEarlier<T extends PipelineDeal>(
  { db, viewer, loaders }: Context,
  kind: ClassType<T>,
  key: string,
): Promise<T> {
  const qb = db.getRepository(PipelineDeal).createQueryBuilder("deal").where("deal.idempotency_key = :key", { key });
  const [row] = await whereVisibleTo(qb, "deal", viewer).getRawMany();
  const deal = row ? entityFromRaw<PipelineDeal>(qb, row) : null;
  if (!(deal instanceof kind)) {
    throw new ConflictError("This idempotency key was already used by another request; send a new key for a new deal.");
  }
  loaders.deal.prime(deal.id, deal);
  return deal;
}
