import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { NotFoundError, required } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { asksForTotalCount, ConnectionType, PageArgs } from "../../core/pagination/connection";
import { Company } from "../company/company.entity";
import { Person } from "../person/person.entity";
import { Site } from "../site/site.entity";
import { Opportunity } from "./opportunity.entity";
import { CreateOpportunityInput, UpdateOpportunityInput, OpportunityFilter, OpportunityOrder } from "./opportunity.inputs";
import { opportunityCommands } from "./opportunity.commands";
import { opportunityService } from "./opportunity.service";

@ObjectType({ description: "A page of sales opportunities." })
class OpportunityConnection extends ConnectionType(Opportunity) {}

@ObjectType({ description: "What createOpportunity answers: the opportunity made (or, for a retried idempotencyKey, the one the first request made)." })
class CreateOpportunityPayload extends PayloadType(Opportunity) {}

@ObjectType({ description: "What updateOpportunity answers: the opportunity after the change." })
class UpdateOpportunityPayload extends PayloadType(Opportunity) {}

@Resolver(() => Opportunity)
export class OpportunityResolver {
  @Query(() => Opportunity, {
    nullable: true,
    description:
      "A sales opportunity you can see. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async opportunity(@Arg("id", () => ID, { description: "The opportunity's id." }) id: string, @Ctx() ctx: Context): Promise<Opportunity> {
    const deal = await ctx.loaders.deal.load(id);
    if (!(deal instanceof Opportunity)) throw new NotFoundError("Opportunity", id);
    return deal;
  }

  @Query(() => OpportunityConnection, { description: "The sales opportunities you can see; newest first unless ordered." })
  opportunities(
    @Args() page: PageArgs,
    @Arg("filter", () => OpportunityFilter, { nullable: true, description: "Narrows the list; left out, every opportunity you can see except archived ones." }) filter: OpportunityFilter | undefined,
    @Arg("orderBy", () => OpportunityOrder, { nullable: true, description: "The order; newest first when left out." }) orderBy: OpportunityOrder | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    return opportunityService.list(ctx, page, filter, orderBy, asksForTotalCount(info));
  }

  @Mutation(() => CreateOpportunityPayload, { description: "Creates a sales opportunity (the seed's opportunity.create)." })
  async createOpportunity(@Arg("input", { description: "The opportunity to create." }) input: CreateOpportunityInput, @Ctx() ctx: Context) {
    return payload("Opportunity created successfully", await opportunityCommands.create(ctx, input));
  }

  @Mutation(() => UpdateOpportunityPayload, {
    description:
      "Changes a sales opportunity: fields left out stay as they are, null clears an optional field, and every rule of the create " +
      "holds for the result. Allowed to the deal's owner and members of its workspace.",
  })
  async updateOpportunity(@Arg("id", () => ID, { description: "The opportunity's id." }) id: string, @Arg("input", { description: "The changes: only the fields given are written." }) input: UpdateOpportunityInput, @Ctx() ctx: Context) {
    return payload("Opportunity updated successfully", await opportunityCommands.update(ctx, id, input));
  }

  @FieldResolver(() => Company, { description: "The customer company." })
  customer(@Root() opportunity: Opportunity, @Ctx() ctx: Context): Company | Promise<Company> {
    return required(ctx.loaders.company.get(opportunity.customerId), "Company", opportunity.customerId);
  }

  @FieldResolver(() => Person, { nullable: true, description: "The customer's main contact." })
  primaryContact(@Root() opportunity: Opportunity, @Ctx() ctx: Context): Person | null | Promise<Person | null> {
    return opportunity.primaryContactId ? ctx.loaders.person.get(opportunity.primaryContactId) : null;
  }

  @FieldResolver(() => Site, { nullable: true, description: "The customer's site the work is for." })
  site(@Root() opportunity: Opportunity, @Ctx() ctx: Context): Site | null | Promise<Site | null> {
    return opportunity.siteId ? ctx.loaders.site.get(opportunity.siteId) : null;
  }

  @FieldResolver(() => ID, { description: "The workspace's id (see workspace)." })
  workspaceId(@Root() opportunity: Opportunity): string {
    return opportunity.workspaceId;
  }
}
