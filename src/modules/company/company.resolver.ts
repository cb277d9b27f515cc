import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { asksForTotalCount, ConnectionType, PageArgs } from "../../core/pagination/connection";
import { Site } from "../site/site.entity";
import { Company } from "./company.entity";
import { CompanyFilter, CreateCompanyInput } from "./company.inputs";
import { companyService } from "./company.service";

@ObjectType({ description: "A page of companies." })
class CompanyConnection extends ConnectionType(Company) {}

@ObjectType({ description: "What createCompany answers: the company added." })
class CreateCompanyPayload extends PayloadType(Company) {}

@Resolver(() => Company)
export class CompanyResolver {
  @Query(() => Company, {
    nullable: true,
    description:
      "A company of your organization. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async company(@Arg("id", () => ID, { description: "The company's id." }) id: string, @Ctx() ctx: Context): Promise<Company> {
    return orNotFound(await ctx.loaders.company.load(id), "Company", id);
  }

  @Query(() => CompanyConnection, { description: "Companies of your organization, by name." })
  companies(
    @Args() page: PageArgs,
    @Arg("filter", () => CompanyFilter, { nullable: true, description: "Narrows the list; left out, every company." }) filter: CompanyFilter | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    return companyService.list(ctx, page, filter, asksForTotalCount(info));
  }

  @Mutation(() => CreateCompanyPayload, { description: "Adds a company to your organization." })
  async createCompany(@Arg("input", { description: "The company to add." }) input: CreateCompanyInput, @Ctx() ctx: Context) {
    return payload("Company created successfully", await companyService.create(ctx, input));
  }

  @FieldResolver(() => [Site], { description: "The company's sites, by name: what an opportunity's siteId may name for this customer." })
  sites(@Root() company: Company, @Ctx() { loaders }: Context): Site[] | Promise<Site[]> {
    return loaders.sitesByCompany.get(company.id);
  }
}
