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

  @Field(() => ID, { nullable: true, description: "The id of the customer's main contact person (see primaryContact); null when there is none." })
  @Column("uuid", { nullable: true })
  primaryContactId: string | null;

  @Field(() => ID, { nullable: true, description: "The id of the customer's site the work is for (see site); null when there is none." })
  @Column("uuid", { nullable: true })
  siteId: string | null;

  @Field(() => PipelineType, { description: "What kind of work the opportunity is, such as NEW_CONSTRUCTION (its pipeline is always SALES)." })
  @Column("text")
  pipelineType: PipelineType;

  @Field(() => OpportunitySource, { nullable: true, description: "Where the opportunity came from; null when not recorded." })
  @Column("text", { nullable: true })
  source: OpportunitySource | null;

  @Field(() => Date, { nullable: true, description: "When the opportunity is expected to close; null when not set." })
  @Column("timestamptz", { nullable: true })
  expectedCloseDate: Date | null;

  @Field(() => Int, { description: "Win probability, 0 to 100." })
  @Column("smallint")
  probability: number;

  @Field(() => [String], {
    description: "The solution families the work involves: non-blank names, at most 50, no two the same ignoring case; [] when none.",
  })
  @Column("text", { array: true, nullable: true })
  solutionFamilies: string[] | null;

  @Field(() => String, { nullable: true, description: "A summary of the scope of work, at most 5000 characters; null when none." })
  @Column("text", { nullable: true })
  scopeSummary: string | null;

  @Field(() => String, { nullable: true, description: "Notes on the competitors for the work, at most 5000 characters; null when none." })
  @Column("text", { nullable: true })
  competitorNotes: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Why the opportunity was won or lost, at most 5000 characters. Kept only while the stage is WON or LOST (a move out clears it); null otherwise or when not given.",
  })
  @Column("text", { nullable: true })
  winLossReason: string | null;

  @Field(() => String, { nullable: true, description: "What is to be done next, at most 5000 characters; null when none." })
  @Column("text", { nullable: true })
  nextStepDescription: string | null;

  @Field(() => Date, { nullable: true, description: "When the next step is due; null when not set." })
  @Column("timestamptz", { nullable: true })
  nextStepDate: Date | null;

  @Field(() => Date, { nullable: true, description: "When the bid for the work is due; null when not set." })
  @Column("timestamptz", { nullable: true })
  bidDueDate: Date | null;

  @Field({ description: "Whether the customer's budget is confirmed; false unless set." })
  @Column("boolean")
  budgetConfirmed: boolean;

  @Field(() => OpportunityPriority, { nullable: true, description: "How urgent the opportunity is; null when not set." })
  @Column("text", { nullable: true })
  priority: OpportunityPriority | null;

  @Field(() => LostReasonCategory, {
    nullable: true,
    description: "Why the opportunity was lost. Kept only while the stage is LOST (a move out clears it); null otherwise or when not given.",
  })
  @Column("text", { nullable: true })
  lostReasonCategory: LostReasonCategory | null;

  @Field(() => String, { nullable: true, description: "The technical requirements of the work, at most 5000 characters; null when none." })
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
