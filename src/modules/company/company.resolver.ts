import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { ConnectionType, PageArgs } from "../../core/pagination/connection";
import { Site } from "../site/site.entity";
import { Company } from "./company.entity";
import { CompanyFilter, CreateCompanyInput } from "./company.inputs";
import { companyService } from "./company.service";

@ObjectType()
class CompanyConnection extends ConnectionType(Company) {}

@ObjectType()
class CreateCompanyPayload extends PayloadType(Company) {}

@Resolver(() => Company)
export class CompanyResolver {
  @Query(() => Company, {
    nullable: true,
    description:
      "A company of your organization. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async company(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<Company> {
    return orNotFound(await ctx.loaders.company.load(id), "Company", id);
  }

  @Query(() => CompanyConnection, { description: "Companies of your organization, by name." })
  companies(
    @Args() page: PageArgs,
    @Arg("filter", () => CompanyFilter, { nullable: true }) filter: CompanyFilter | undefined,
    @Ctx() ctx: Context,
  ) {
    return companyService.list(ctx, page, filter);
  }

  @Mutation(() => CreateCompanyPayload)
  async createCompany(@Arg("input") input: CreateCompanyInput, @Ctx() ctx: Context) {
    return payload("Company created successfully", await companyService.create(ctx, input));
  }

  @FieldResolver(() => [Site], { description: "The company's sites, by name: what an opportunity's siteId may name for this customer." })
  sites(@Root() company: Company, @Ctx() { loaders }: Context): Site[] | Promise<Site[]> {
    return loaders.sitesByCompany.get(company.id);
  }
}
