import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound, required } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { Company } from "../company/company.entity";
import { asksForTotalCount, ConnectionType, PageArgs } from "../../core/pagination/connection";
import { Site } from "./site.entity";
import { CreateSiteInput, SiteFilter } from "./site.inputs";
import { siteService } from "./site.service";

@ObjectType({ description: "What createSite answers: the site added." })
class CreateSitePayload extends PayloadType(Site) {}

@ObjectType({ description: "A page of sites." })
class SiteConnection extends ConnectionType(Site) {}

@Resolver(() => Site)
export class SiteResolver {
  @Query(() => Site, {
    nullable: true,
    description:
      "A site of your organization. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async site(@Arg("id", () => ID, { description: "The site's id." }) id: string, @Ctx() ctx: Context): Promise<Site> {
    return orNotFound(await ctx.loaders.site.load(id), "Site", id);
  }

  @Query(() => SiteConnection, { description: "Sites of your organization, by name: the ids an opportunity's siteId takes." })
  sites(@Args() page: PageArgs, @Arg("filter", () => SiteFilter, { nullable: true, description: "Narrows the list; left out, every site." }) filter: SiteFilter | null, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo) {
    return siteService.list(ctx, page, filter, asksForTotalCount(info));
  }

  @Mutation(() => CreateSitePayload, { description: "Adds a site (a customer's location) to one of your organization's companies." })
  async createSite(@Arg("input", { description: "The site to add." }) input: CreateSiteInput, @Ctx() ctx: Context) {
    return payload("Site created successfully", await siteService.create(ctx, input));
  }

  @FieldResolver(() => Company, { description: "The company the site belongs to." })
  company(@Root() site: Site, @Ctx() ctx: Context): Company | Promise<Company> {
    return required(ctx.loaders.company.get(site.companyId), "Company", site.companyId);
  }
}
