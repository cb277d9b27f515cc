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

  @Field(() => ID, { description: "The facilitator entry's id." })
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

  @Field(() => FacilitatorRole, {
    description: "How the person helped: the CONNECTOR who made the introduction, or a REFERRAL_SOURCE (the referredBy person of the seeker or the provider).",
  })
  @Column("text")
  role: FacilitatorRole;

  @Field(() => FacilitatorSide, {
    description:
      "Which party the person helped. The connector is on the PROVIDER side when employed by the provider's company, " +
      "otherwise on the SEEKER side; a referral source is on the side of the party they referred. Nobody is on one side twice.",
  })
  @Column("text")
  side: FacilitatorSide;

  @Field({ description: "When the person became a facilitator of the deal on this side: at the deal's creation, or by a later update that changed its seeker, provider or connector." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}

const ROLE_ORDER = [FacilitatorRole.CONNECTOR, FacilitatorRole.REFERRAL_SOURCE];
const SIDE_ORDER = [FacilitatorSide.SEEKER, FacilitatorSide.PROVIDER];

/** How a deal's facilitators are listed: the connector first, then referral sources, seeker's side first. */
export function byFacilitatorOrder(a: Facilitator, b: Facilitator): number {
  return (
    ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) ||
    SIDE_ORDER.indexOf(a.side) - SIDE_ORDER.indexOf(b.side) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}
