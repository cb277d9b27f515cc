import { CreateDateColumn, Entity, PrimaryColumn } from "typeorm";

/** A SHARED deal is visible to the members of each workspace it is shared with. */
@Entity("pipeline_deal_share")
export class DealShare {
  @PrimaryColumn("uuid")
  organizationId: string;

  @PrimaryColumn("uuid")
  dealId: string;

  @PrimaryColumn("uuid")
  workspaceId: string;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
