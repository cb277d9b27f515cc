import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

export enum Pipeline {
  REFERRAL = "referral",
  SALES = "sales",
}
registerEnumType(Pipeline, {
  name: "Pipeline",
  description: "REFERRAL holds referral opportunities; SALES holds sales opportunities.",
});

@ObjectType({ description: "A step of a pipeline. Stages are reference data, the same for every organization." })
@Entity("stage")
export class Stage {
  @Field(() => ID)
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => Pipeline)
  @Column("text")
  pipeline: Pipeline;

  @Field({ description: "Stable machine name, such as lead or won." })
  @Column("text")
  key: string;

  @Field()
  @Column("text")
  label: string;

  @Field({ description: "Hex colour, such as #3B82F6." })
  @Column("text")
  color: string;

  @Field(() => String, { nullable: true })
  @Column("text", { nullable: true })
  description: string | null;

  @Field(() => Int, { description: "Position in the pipeline, from 1." })
  @Column("integer")
  sortOrder: number;

  @Field(() => Int, { description: "Default win probability of a deal in this stage, 0 to 100." })
  @Column("integer")
  probability: number;

  @Field()
  @Column("boolean")
  isWon: boolean;

  @Field()
  @Column("boolean")
  isLost: boolean;
}
