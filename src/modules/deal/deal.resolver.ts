import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound, required } from "../../core/errors/errors";
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
}
