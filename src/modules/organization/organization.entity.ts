import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

@ObjectType({ description: "A tenant. Everything else belongs to exactly one organization." })
@Entity("organization")
export class Organization {
  @Field(() => ID, { description: "The organization's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field({ description: "The organization's name." })
  @Column("text")
  name: string;

  @Field({ description: "When the organization was made." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
