import { Args, ClassType, Ctx, Mutation, ObjectType, Resolver } from "type-graphql";
import type { Context } from "../../core/context/context";
import { payload, PayloadType } from "../../core/graphql/payload";
import { dealCommands } from "./deal.commands";
import { ShareDealArgs } from "./deal.inputs";
import { PipelineDeal } from "./pipeline-deal.entity";

/** PipelineDeal is abstract (an interface in GraphQL); the payload only needs it as a type reference. */
@ObjectType({ description: "The deal after its shares changed." })
class DealSharePayload extends PayloadType(PipelineDeal as unknown as ClassType<PipelineDeal>, "deal (a ReferralOpportunity or an Opportunity), with its sharedWith and visibilityMode,") {}

@Resolver(() => PipelineDeal)
export class DealShareResolver {
  @Mutation(() => DealSharePayload, {
    description:
      "Lets the members of another workspace see a deal. A WORKSPACE_LOCAL deal becomes SHARED. " +
      "Allowed to the deal's owner and members of its workspace; sharing twice is harmless.",
  })
  async shareDeal(@Args() args: ShareDealArgs, @Ctx() ctx: Context) {
    return payload("Deal shared successfully", await dealCommands.share(ctx, args));
  }

  @Mutation(() => DealSharePayload, {
    description:
      "Stops sharing a deal with a workspace; the visibility mode stays as it is. " +
      "Allowed to the deal's owner and members of its workspace; unsharing twice is harmless.",
  })
  async unshareDeal(@Args() args: ShareDealArgs, @Ctx() ctx: Context) {
    return payload("Deal unshared successfully", await dealCommands.unshare(ctx, args));
  }
}
