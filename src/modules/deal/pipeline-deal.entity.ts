import { Field, ID, Int, InterfaceType } from "type-graphql";
import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  TableInheritance,
  UpdateDateColumn,
} from "typeorm";
import { DealKind, VisibilityMode } from "./deal.enums";

/**
 * One table holds both kinds of deal; `kind` tells them apart. In GraphQL PipelineDeal is the
 * interface that ReferralOpportunity and Opportunity implement.
 */
@InterfaceType({ description: "A deal in a pipeline: a referral opportunity or a sales opportunity." })
@Entity("pipeline_deal")
@TableInheritance({ column: { type: "text", name: "kind" } })
export abstract class PipelineDeal {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The deal's id (a UUID): what pipelineDeal(id), moveDeal and the other deal mutations take. The same as pipelineDealId." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("text")
  kind: DealKind;

  @Field({ description: "The deal's name (an opportunity's title)." })
  @Column("text")
  name: string;

  @Field(() => String, {
    nullable: true,
    description:
      "A note or justification for the deal, at most 1000 characters; null when there is none. " +
      "Only referral opportunities take one: for a sales opportunity it is always null (see scopeSummary).",
  })
  @Column("text", { nullable: true })
  description: string | null;

  /** expectedValue of a referral, estimatedValue of an opportunity; numeric, so a string. */
  @Column("numeric", { precision: 19, scale: 4, nullable: true })
  value: string | null;

  @Field({ description: "ISO 4217 currency code." })
  @Column("char", { length: 3 })
  currency: string;

  @Column("uuid")
  stageId: string;

  @Column("uuid")
  ownerId: string;

  @Column("uuid")
  workspaceId: string;

  @Field(() => VisibilityMode, {
    description:
      "Who can see the deal: GLOBAL (everyone in the organization), WORKSPACE_LOCAL (members of its workspace; " +
      "what a new deal gets unless it says otherwise) or SHARED (those plus the members of the workspaces in sharedWith).",
  })
  @Column("text")
  visibilityMode: VisibilityMode;

  /** The key the create request was sent with, if any (see deal-creation.ts). */
  @Column("text", { nullable: true })
  idempotencyKey: string | null;

  /** SHA-256 of the create request that used the key (see deal-creation.ts). */
  @Column("text", { nullable: true })
  idempotencyFingerprint: string | null;

  @Field(() => Int, {
    description:
      "1 at creation, one more with every write that changes the deal. Send it back as expectedVersion " +
      "to make a write fail with CONFLICT instead of overwriting a change you have not seen.",
  })
  @Column("integer")
  version: number;

  @Field({ description: "When the deal entered its current stage." })
  @Column("timestamptz")
  stageEnteredAt: Date;

  @Field(() => Date, { nullable: true, description: "When the deal entered its won or lost stage; null while it is open." })
  @Column("timestamptz", { nullable: true })
  closedAt: Date | null;

  @Field(() => Date, { nullable: true, description: "When the deal was archived; null unless it is archived." })
  @Column("timestamptz", { nullable: true })
  archivedAt: Date | null;

  @Column("uuid", { nullable: true })
  archivedById: string | null;

  @Field({ description: "When the deal was created." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @Field({ description: "When the deal last changed: every write that changes it (and adds one to version) sets it." })
  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;

  @Field(() => ID, { description: "The durable public identifier of the deal; the same as id." })
  get pipelineDealId(): string {
    return this.id;
  }
}
