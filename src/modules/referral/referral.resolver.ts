import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { NotFoundError, required } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { asksForTotalCount, ConnectionType, PageArgs } from "../../core/pagination/connection";
import { Facilitator } from "../deal/facilitator.entity";
import { Person } from "../person/person.entity";
import { Product } from "../product/product.entity";
import { ReferralOpportunity } from "./referral-opportunity.entity";
import { CreateReferralOpportunityInput, UpdateReferralOpportunityInput, ReferralOpportunityFilter, ReferralOpportunityOrder } from "./referral.inputs";
import { referralCommands } from "./referral.commands";
import { referralService } from "./referral.service";

@ObjectType({ description: "A page of referral opportunities." })
class ReferralOpportunityConnection extends ConnectionType(ReferralOpportunity) {}

@ObjectType({
  description:
    "What createReferralOpportunity answers: the referral opportunity made (or, for a retried idempotencyKey, the one the first request made), with its facilitators.",
})
class CreateReferralOpportunityPayload extends PayloadType(ReferralOpportunity) {}

@ObjectType({ description: "What updateReferralOpportunity answers: the referral opportunity after the change." })
class UpdateReferralOpportunityPayload extends PayloadType(ReferralOpportunity) {}

@Resolver(() => ReferralOpportunity)
export class ReferralOpportunityResolver {
  @Query(() => ReferralOpportunity, {
    nullable: true,
    description:
      "A referral opportunity you can see, by id. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async referralOpportunity(@Arg("id", () => ID, { description: "The referral opportunity's id." }) id: string, @Ctx() ctx: Context): Promise<ReferralOpportunity> {
    const deal = await ctx.loaders.deal.load(id);
    if (!(deal instanceof ReferralOpportunity)) throw new NotFoundError("Referral opportunity", id);
    return deal;
  }

  @Query(() => ReferralOpportunityConnection, {
    description: "The referral opportunities you can see, newest first unless orderBy says otherwise.",
  })
  referralOpportunities(
    @Args() page: PageArgs,
    @Arg("filter", () => ReferralOpportunityFilter, { nullable: true, description: "Narrows the list; left out, every referral opportunity you can see except archived ones." }) filter: ReferralOpportunityFilter | undefined,
    @Arg("orderBy", () => ReferralOpportunityOrder, { nullable: true, description: "The order; newest first when left out." }) orderBy: ReferralOpportunityOrder | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    return referralService.list(ctx, page, filter, orderBy, asksForTotalCount(info));
  }

  @Mutation(() => CreateReferralOpportunityPayload, {
    description: "Records a warm introduction as a deal in the REFERRAL pipeline, with its facilitators.",
  })
  async createReferralOpportunity(@Arg("input", { description: "The introduction to record." }) input: CreateReferralOpportunityInput, @Ctx() ctx: Context) {
    return payload("Referral opportunity created successfully", await referralCommands.create(ctx, input));
  }

  @Mutation(() => UpdateReferralOpportunityPayload, {
    description:
      "Changes a referral opportunity: fields left out stay as they are, null clears an optional field, and every rule of the create " +
      "holds for the result. Allowed to the deal's owner and members of its workspace.",
  })
  async updateReferralOpportunity(@Arg("id", () => ID, { description: "The referral opportunity's id." }) id: string, @Arg("input", { description: "The changes: only the fields given are written." }) input: UpdateReferralOpportunityInput, @Ctx() ctx: Context) {
    return payload("Referral opportunity updated successfully", await referralCommands.update(ctx, id, input));
  }

  @FieldResolver(() => Person, { description: "The person looking for a solution." })
  seeker(@Root() deal: ReferralOpportunity, @Ctx() { loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(deal.seekerId), "Person", deal.seekerId);
  }

  @FieldResolver(() => Person, { description: "The person providing the solution." })
  provider(@Root() deal: ReferralOpportunity, @Ctx() { loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(deal.providerId), "Person", deal.providerId);
  }

  @FieldResolver(() => Person, { description: "The person who made the introduction." })
  connector(@Root() deal: ReferralOpportunity, @Ctx() { loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(deal.connectorId), "Person", deal.connectorId);
  }

  @FieldResolver(() => Product, { nullable: true, description: "The product the referral is about." })
  product(@Root() deal: ReferralOpportunity, @Ctx() { loaders }: Context): Product | null | Promise<Product | null> {
    return deal.productId ? loaders.product.get(deal.productId) : null;
  }

  @FieldResolver(() => [Facilitator], {
    description: "Who helped: the connector, then any referral sources of the seeker and the provider.",
  })
  facilitators(@Root() deal: ReferralOpportunity, @Ctx() { loaders }: Context): Facilitator[] | Promise<Facilitator[]> {
    return loaders.facilitatorsByDeal.get(deal.id);
  }
}
