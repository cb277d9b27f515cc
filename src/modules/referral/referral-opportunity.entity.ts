import { Field, ObjectType } from "type-graphql";
import { Decimal } from "../../core/graphql/decimal";
import { ChildEntity, Column } from "typeorm";
import { DealKind } from "../deal/deal.enums";
import { PipelineDeal } from "../deal/pipeline-deal.entity";

@ObjectType({
  implements: PipelineDeal,
  description: "A warm introduction: a connector introduces a seeker to a provider.",
})
@ChildEntity(DealKind.REFERRAL)
export class ReferralOpportunity extends PipelineDeal {
  @Column("uuid")
  seekerId: string;

  @Column("uuid")
  providerId: string;

  @Column("uuid")
  connectorId: string;

  @Column("uuid", { nullable: true })
  productId: string | null;

  @Field(() => Decimal, { nullable: true, description: "Expected deal value, 0 or more, exactly as stored." })
  get expectedValue(): string | null {
    return this.value;
  }
}
