import { IsBoolean, IsOptional } from "class-validator";
import { Field, InputType } from "type-graphql";
import { SelectQueryBuilder } from "typeorm";

/** The conditions every deal list takes, whatever the kind of deal. */
@InputType("DealStateFilter")
export abstract class DealStateFilter {
  @Field(() => Boolean, { nullable: true, description: "true: only closed deals (won or lost); false: only open ones." })
  @IsOptional()
  @IsBoolean()
  closed?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "true: only archived deals. Left out or false: archived deals are left out.",
  })
  @IsOptional()
  @IsBoolean()
  archived?: boolean | null;
}

/** Applies `closed` and `archived` to a deal list (alias `deal`). */
export function whereDealState<T extends object>(qb: SelectQueryBuilder<T>, filter: DealStateFilter | null): SelectQueryBuilder<T> {
  qb.andWhere(filter?.archived ? "deal.archived_at IS NOT NULL" : "deal.archived_at IS NULL");
  if (filter?.closed === true) qb.andWhere("deal.closed_at IS NOT NULL");
  if (filter?.closed === false) qb.andWhere("deal.closed_at IS NULL");
  return qb;
}
