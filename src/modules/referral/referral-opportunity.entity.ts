import { Field, Float, ObjectType } from "type-graphql";
import { ChildEntity, Column } from "typeorm";
import { DealKind } from "../deal/deal.enums";
import { moneyToNumber, PipelineDeal } from "../deal/pipeline-deal.entity";

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

  @Field(() => Float, { nullable: true, description: "Expected deal value, 0 or more." })
  get expectedValue(): number | null {
    return moneyToNumber(this.value);
  }
}
