import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

export enum Pipeline {
  REFERRAL = "referral",
  SALES = "sales",
}
registerEnumType(Pipeline, {
  name: "Pipeline",
  description: "REFERRAL holds referral opportunities; SALES holds sales opportunities.",
  valuesConfig: {
    REFERRAL: { description: "The pipeline of referral opportunities (warm introductions); a new one starts in its first stage, Lead." },
    SALES: { description: "The pipeline of sales opportunities; its stages are the OpportunityStage values, LEAD to LOST." },
  },
});

@ObjectType({
  description:
    "A step of a pipeline. Every organization has its own stages: admins shape the REFERRAL pipeline (createStage, reorderStages, deleteStage) and relabel either (updateStage); the SALES pipeline's keys are the opportunity stages and stay fixed.",
})
@Entity("stage")
export class Stage {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The stage's id, as moveDeal's stageId and the referral filter's stageId take it." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => Pipeline, { description: "The pipeline the stage belongs to." })
  @Column("text")
  pipeline: Pipeline;

  @Field({ description: "Stable machine name, such as lead or won: lower-case letters, digits and _, unique in the pipeline." })
  @Column("text")
  key: string;

  @Field({ description: "The name people read, such as Lead or Won." })
  @Column("text")
  label: string;

  @Field({ description: "Hex colour, such as #3B82F6." })
  @Column("text")
  color: string;

  @Field(() => String, { nullable: true, description: "What a deal in this stage has reached, such as \"A proposal has been sent.\"; null when none." })
  @Column("text", { nullable: true })
  description: string | null;

  @Field(() => Int, { description: "Position in the pipeline, from 1." })
  @Column("integer")
  sortOrder: number;

  @Field(() => Int, { description: "Default win probability of a deal in this stage, 0 to 100." })
  @Column("integer")
  probability: number;

  @Field({ description: "true for a won stage: a deal entering it is closed as won (closedAt is set). Never true together with isLost." })
  @Column("boolean")
  isWon: boolean;

  @Field(() => Date, { nullable: true, description: "When an admin deleted the stage (deleteStage); null for a live stage. A deleted stage is no longer in the pipeline, but the history and events that name it still show it." })
  @Column("timestamptz", { nullable: true })
  deletedAt: Date | null;

  @Field({ description: "true for a lost stage: a deal entering it is closed as lost (closedAt is set). Never true together with isWon." })
  @Column("boolean")
  isLost: boolean;
}
