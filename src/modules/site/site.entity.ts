import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

@ObjectType({ description: "A customer's location. Every site belongs to one company." })
@Entity("site")
export class Site {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The site's id, as an opportunity's siteId takes it." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field({ description: "The site's name." })
  @Column("text")
  name: string;

  @Field(() => String, { nullable: true, description: "The site's address, free text of at most 1000 characters; null when not given." })
  @Column("text", { nullable: true })
  address: string | null;

  @Column("uuid")
  companyId: string;

  @Field({ description: "When the site was added." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @Field({ description: "When the site was last changed." })
  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
