import { Arg, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound, required } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { Company } from "../company/company.entity";
import { Site } from "./site.entity";
import { CreateSiteInput } from "./site.inputs";
import { siteService } from "./site.service";

@ObjectType()
class CreateSitePayload extends PayloadType(Site) {}

@Resolver(() => Site)
export class SiteResolver {
  @Query(() => Site, { description: "A site of your organization." })
  async site(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Site> {
    return orNotFound(await ctx.loaders.site.load(id), "Site", id);
  }

  @Mutation(() => CreateSitePayload)
  async createSite(@Arg("input") input: CreateSiteInput, @Ctx() ctx: Context) {
    return payload("Site created successfully", await siteService.create(ctx, input));
  }

  @FieldResolver(() => Company, { description: "The company the site belongs to." })
  company(@Root() site: Site, @Ctx() ctx: Context): Company | Promise<Company> {
    return required(ctx.loaders.company.get(site.companyId), "Company", site.companyId);
  }
}
