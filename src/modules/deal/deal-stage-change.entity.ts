import { Field, Float, ID, ObjectType } from "type-graphql";
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

/**
 * One entry of a deal's stage history: the create (no from-stage) or a move. Written in the
 * same transaction as the change itself, so the history is exactly the deal's past.
 */
@ObjectType({ description: "A deal entering a stage: at its creation (fromStage null) or by a move." })
@Entity("deal_stage_change")
export class DealStageChange {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The history entry's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("uuid")
  dealId: string;

  @Column("uuid", { nullable: true })
  fromStageId: string | null;

  @Column("uuid")
  toStageId: string;

  @Field({ description: "When the deal entered toStage." })
  @Column("timestamptz")
  changedAt: Date;

  @Column("uuid")
  changedById: string;

  /** Computed by the history loader from the entry before (not a column). */
  @Field(() => Float, {
    nullable: true,
    description: "Seconds the deal spent in fromStage, to the microsecond; null for the creation entry.",
  })
  secondsInFromStage: number | null;
}
