import { Field, ID, Int, ObjectType } from "type-graphql";
import { Decimal } from "../../core/graphql/decimal";
import { ChildEntity, Column } from "typeorm";
import { DealKind } from "../deal/deal.enums";
import { PipelineDeal } from "../deal/pipeline-deal.entity";
import {
  LostReasonCategory,
  OpportunityPriority,
  OpportunitySource,
  PipelineType,
} from "./opportunity.enums";

@ObjectType({
  implements: PipelineDeal,
  description: "A sales opportunity: a customer company, its sites and contacts, moving through the SALES pipeline.",
})
@ChildEntity(DealKind.OPPORTUNITY)
export class Opportunity extends PipelineDeal {
  @Field(() => ID, { description: "The customer company's id." })
  @Column("uuid")
  customerId: string;

  @Field(() => ID, { nullable: true })
  @Column("uuid", { nullable: true })
  primaryContactId: string | null;

  @Field(() => ID, { nullable: true })
  @Column("uuid", { nullable: true })
  siteId: string | null;

  @Field(() => PipelineType)
  @Column("text")
  pipelineType: PipelineType;

  @Field(() => OpportunitySource, { nullable: true })
  @Column("text", { nullable: true })
  source: OpportunitySource | null;

  @Field(() => Date, { nullable: true })
  @Column("timestamptz", { nullable: true })
  expectedCloseDate: Date | null;

  @Field(() => Int, { description: "Win probability, 0 to 100." })
  @Column("smallint")
  probability: number;

  @Field(() => [String])
  @Column("text", { array: true, nullable: true })
  solutionFamilies: string[] | null;

  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  scopeSummary: string | null;

  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  competitorNotes: string | null;

  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  winLossReason: string | null;

  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  nextStepDescription: string | null;

  @Field(() => Date, { nullable: true })
  @Column("timestamptz", { nullable: true })
  nextStepDate: Date | null;

  @Field(() => Date, { nullable: true })
  @Column("timestamptz", { nullable: true })
  bidDueDate: Date | null;

  @Field()
  @Column("boolean")
  budgetConfirmed: boolean;

  @Field(() => OpportunityPriority, { nullable: true })
  @Column("text", { nullable: true })
  priority: OpportunityPriority | null;

  @Field(() => LostReasonCategory, { nullable: true })
  @Column("text", { nullable: true })
  lostReasonCategory: LostReasonCategory | null;

  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  technicalRequirements: string | null;

  @Field({ description: "The opportunity's title (the PipelineDeal name)." })
  get title(): string {
    return this.name;
  }

  @Field(() => Decimal, { nullable: true, description: "Estimated value, 0 or more, exactly as stored." })
  get estimatedValue(): string | null {
    return this.value;
  }

  @Field(() => ID, { description: "The owner's id (see owner)." })
  get ownerUserId(): string {
    return this.ownerId;
  }
}
