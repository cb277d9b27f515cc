import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

@ObjectType({ description: "A company: a person's employer, a customer, a provider." })
@Entity("company")
export class Company {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The company's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field({ description: "The company's name: not blank, at most 200 characters." })
  @Column("text")
  name: string;

  @Field(() => String, { nullable: true, description: "Web domain, such as acme.com." })
  @Column("text", { nullable: true })
  domain: string | null;

  @Field({ description: "When the company was added." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @Field({ description: "When the company was last changed." })
  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
