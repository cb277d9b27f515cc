import { Arg, ClassType, Ctx, ID, Mutation, ObjectType, Resolver } from "type-graphql";
import type { Context } from "../../core/context/context";
import { payload, PayloadType } from "../../core/graphql/payload";
import { dealShareService } from "./deal-share.service";
import { PipelineDeal } from "./pipeline-deal.entity";

/** PipelineDeal is abstract (an interface in GraphQL); the payload only needs it as a type reference. */
@ObjectType({ description: "The deal after its shares changed." })
class DealSharePayload extends PayloadType(PipelineDeal as unknown as ClassType<PipelineDeal>) {}

@Resolver(() => PipelineDeal)
export class DealShareResolver {
  @Mutation(() => DealSharePayload, {
    description:
      "Lets the members of another workspace see a deal. A WORKSPACE_LOCAL deal becomes SHARED. " +
      "Allowed to the deal's owner and members of its workspace; sharing twice is harmless.",
  })
  async shareDeal(
    @Arg("dealId", () => ID) dealId: string,
    @Arg("workspaceId", () => ID) workspaceId: string,
    @Ctx() ctx: Context,
  ) {
    return payload("Deal shared successfully", await dealShareService.share(ctx, dealId, workspaceId));
  }

  @Mutation(() => DealSharePayload, {
    description:
      "Stops sharing a deal with a workspace; the visibility mode stays as it is. " +
      "Allowed to the deal's owner and members of its workspace; unsharing twice is harmless.",
  })
  async unshareDeal(
    @Arg("dealId", () => ID) dealId: string,
    @Arg("workspaceId", () => ID) workspaceId: string,
    @Ctx() ctx: Context,
  ) {
    return payload("Deal unshared successfully", await dealShareService.unshare(ctx, dealId, workspaceId));
  }
}
