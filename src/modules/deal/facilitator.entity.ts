import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";
import { FacilitatorRole, FacilitatorSide } from "./deal.enums";

@ObjectType("PipelineDealFacilitator", {
  description: "A person (and their employer at the time) who helped a deal happen.",
})
@Entity("pipeline_deal_facilitator")
export class Facilitator {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID)
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("uuid")
  dealId: string;

  @Field(() => ID, { name: "userId", description: "The facilitating person." })
  @Column("uuid")
  personId: string;

  @Field(() => ID, { nullable: true, description: "The person's employer when the deal was created." })
  @Column("uuid", { nullable: true })
  companyId: string | null;

  @Field(() => FacilitatorRole)
  @Column("text")
  role: FacilitatorRole;

  @Field(() => FacilitatorSide)
  @Column("text")
  side: FacilitatorSide;

  @Field()
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
