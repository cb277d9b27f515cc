import { Field, ID, ObjectType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

@ObjectType({ description: "A team inside an organization. Users work in the workspaces they are members of." })
@Entity("workspace")
export class Workspace {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The workspace's id, as X-Workspace-Id and workspaceId take it." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field({ description: "The workspace's name." })
  @Column("text")
  name: string;

  @Field({ description: "When the workspace was made." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
