import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

@ObjectType({ description: "A user's membership of a workspace." })
@Entity("workspace_membership")
export class WorkspaceMembership {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The membership's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("uuid")
  workspaceId: string;

  @Column("uuid")
  userId: string;

  @Field({ description: "When the user joined the workspace." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
