import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

@ObjectType({ description: "A provider's offering, which a referral can be about." })
@Entity("product")
export class Product {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The product's id, as a referral's productId takes it." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field({ description: "The product's name." })
  @Column("text")
  name: string;

  @Field(() => String, { nullable: true, description: "What the product is, at most 5000 characters; null when none." })
  @Column("text", { nullable: true })
  description: string | null;

  @Column("uuid", { nullable: true })
  companyId: string | null;

  @Field({ description: "When the product was added." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @Field({ description: "When the product was last changed." })
  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
