import { Arg, Args, ClassType, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound, required } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { Person } from "../person/person.entity";
import { Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { DealStageChange } from "./deal-stage-change.entity";
import { dealCommands } from "./deal.commands";
import { DealWriteArgs, MoveDealArgs, RestoreDealArgs } from "./deal.inputs";
import { PipelineDeal } from "./pipeline-deal.entity";

@ObjectType({ description: "The deal after the change." })
class PipelineDealPayload extends PayloadType(PipelineDeal as unknown as ClassType<PipelineDeal>, "deal (a ReferralOpportunity or an Opportunity)") {}

/** Fields every kind of deal shares; ReferralOpportunity and Opportunity inherit these resolvers. */
@Resolver(() => PipelineDeal)
export class PipelineDealResolver {
  @Query(() => PipelineDeal, {
    nullable: true,
    description:
      "Any deal you can see, by id: a ReferralOpportunity or an Opportunity. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async pipelineDeal(@Arg("id", () => ID, { description: "The deal's id (its pipelineDealId)." }) id: string, @Ctx() { loaders }: Context): Promise<PipelineDeal> {
    return orNotFound(await loaders.deal.load(id), "Deal", id);
  }

  @Mutation(() => PipelineDealPayload, {
    description:
      "Moves a deal to another stage of its own pipeline, recording the move in its stageHistory. Entering a won " +
      "or lost stage closes the deal (closedAt); leaving it reopens the deal. An opportunity's probability " +
      "follows the stage. Allowed to the deal's owner and members of its workspace.",
  })
  async moveDeal(@Args() args: MoveDealArgs, @Ctx() ctx: Context) {
    return payload("Deal moved successfully", await dealCommands.move(ctx, args));
  }

  @Mutation(() => PipelineDealPayload, {
    description:
      "Archives a deal: lists leave it out (unless filter.archived asks for archived deals) and it cannot be " +
      "changed until restored; a read by id still answers. Archiving twice is harmless.",
  })
  async archiveDeal(@Args() args: DealWriteArgs, @Ctx() ctx: Context) {
    return payload("Deal archived successfully", await dealCommands.archive(ctx, args));
  }

  @Mutation(() => PipelineDealPayload, { description: "Brings an archived deal back. Restoring twice is harmless." })
  async restoreDeal(@Args() args: RestoreDealArgs, @Ctx() ctx: Context) {
    return payload("Deal restored successfully", await dealCommands.restore(ctx, args));
  }

  @FieldResolver(() => Stage, {
    description:
      "The stage the deal is in now: a stage of the REFERRAL pipeline for a referral opportunity, of the SALES pipeline for an opportunity.",
  })
  stage(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Stage | Promise<Stage> {
    return required(loaders.stage.get(deal.stageId), "Stage", deal.stageId);
  }

  @FieldResolver(() => Person, { description: "The USER who owns the deal." })
  owner(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(deal.ownerId), "Person", deal.ownerId);
  }

  @FieldResolver(() => Workspace, { description: "The workspace the deal belongs to." })
  workspace(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Workspace | Promise<Workspace> {
    return required(loaders.workspace.get(deal.workspaceId), "Workspace", deal.workspaceId);
  }

  @FieldResolver(() => [Workspace], {
    description: "The other workspaces the deal is shared with, by name. They see it while visibilityMode is SHARED.",
  })
  sharedWith(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Workspace[] | Promise<Workspace[]> {
    return loaders.sharedWorkspacesByDeal.get(deal.id);
  }

  @FieldResolver(() => [DealStageChange], {
    description: "Every stage the deal has been in, oldest first: its creation, then each move, with who and when.",
  })
  stageHistory(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): DealStageChange[] | Promise<DealStageChange[]> {
    return loaders.stageHistoryByDeal.get(deal.id);
  }

  @FieldResolver(() => Person, { nullable: true, description: "Who archived the deal; null unless it is archived." })
  archivedBy(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Person | null | Promise<Person | null> {
    return deal.archivedById ? loaders.person.get(deal.archivedById) : null;
  }
}

@Resolver(() => DealStageChange)
export class DealStageChangeResolver {
  @FieldResolver(() => Stage, { nullable: true, description: "The stage the deal left; null for its creation." })
  fromStage(@Root() change: DealStageChange, @Ctx() { loaders }: Context): Stage | null | Promise<Stage | null> {
    return change.fromStageId ? loaders.stage.get(change.fromStageId) : null;
  }

  @FieldResolver(() => Stage, { description: "The stage the deal entered." })
  toStage(@Root() change: DealStageChange, @Ctx() { loaders }: Context): Stage | Promise<Stage> {
    return required(loaders.stage.get(change.toStageId), "Stage", change.toStageId);
  }

  @FieldResolver(() => Person, { description: "The user who made the change." })
  changedBy(@Root() change: DealStageChange, @Ctx() { loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(change.changedById), "Person", change.changedById);
  }
}
