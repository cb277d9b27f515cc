import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound } from "../../core/errors/errors";
import { Person } from "../person/person.entity";
import { Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { PipelineDeal } from "./pipeline-deal.entity";

/** Fields every kind of deal shares; ReferralOpportunity and Opportunity inherit these resolvers. */
@Resolver(() => PipelineDeal)
export class PipelineDealResolver {
  @Query(() => PipelineDeal, { description: "Any deal you can see, by id: a ReferralOpportunity or an Opportunity." })
  async pipelineDeal(@Arg("id", () => ID) id: string, @Ctx() { loaders }: Context): Promise<PipelineDeal> {
    return orNotFound(await loaders.deal.load(id), "Deal", id);
  }

  @FieldResolver(() => Stage)
  async stage(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Promise<Stage> {
    return orNotFound(await loaders.stage.load(deal.stageId), "Stage", deal.stageId);
  }

  @FieldResolver(() => Person, { description: "The USER who owns the deal." })
  async owner(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Promise<Person> {
    return orNotFound(await loaders.person.load(deal.ownerId), "Person", deal.ownerId);
  }

  @FieldResolver(() => Workspace, { description: "The workspace the deal belongs to." })
  async workspace(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Promise<Workspace> {
    return orNotFound(await loaders.workspace.load(deal.workspaceId), "Workspace", deal.workspaceId);
  }

  @FieldResolver(() => [Workspace], {
    description: "The other workspaces the deal is shared with, by name. They see it while visibilityMode is SHARED.",
  })
  sharedWith(@Root() deal: PipelineDeal, @Ctx() { loaders }: Context): Promise<Workspace[]> {
    return loaders.sharedWorkspacesByDeal.load(deal.id);
  }
}
