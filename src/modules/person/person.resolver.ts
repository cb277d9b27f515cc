import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { asksForTotalCount, ConnectionType, PageArgs } from "../../core/pagination/connection";
import { Company } from "../company/company.entity";
import { Person } from "./person.entity";
import { CreatePersonInput, PersonFilter } from "./person.inputs";
import { personService } from "./person.service";

@ObjectType({ description: "A page of people." })
class PersonConnection extends ConnectionType(Person, "Person") {}

@ObjectType({ description: "What createPerson answers: the person added." })
class CreatePersonPayload extends PayloadType(Person) {}

@Resolver(() => Person)
export class PersonResolver {
  @Query(() => Person, {
    nullable: true,
    description:
      "A person of your organization. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async person(@Arg("id", () => ID, { description: "The person's id." }) id: string, @Ctx() ctx: Context): Promise<Person> {
    return orNotFound(await ctx.loaders.person.load(id), "Person", id);
  }

  @Query(() => PersonConnection, { description: "People of your organization, oldest first." })
  people(
    @Args() page: PageArgs,
    @Arg("filter", () => PersonFilter, { nullable: true, description: "Narrows the list; left out, every person." }) filter: PersonFilter | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ) {
    return personService.list(ctx, page, filter, asksForTotalCount(info));
  }

  @Mutation(() => CreatePersonPayload, { description: "Adds a person, a CONTACT or a USER, to your organization." })
  async createPerson(@Arg("input", { description: "The person to add." }) input: CreatePersonInput, @Ctx() ctx: Context) {
    return payload("Person created successfully", await personService.create(ctx, input));
  }

  @FieldResolver(() => Company, { nullable: true, description: "The person's employer." })
  company(@Root() person: Person, @Ctx() ctx: Context): Company | null | Promise<Company | null> {
    return person.companyId ? ctx.loaders.company.get(person.companyId) : null;
  }

  @FieldResolver(() => Person, { nullable: true, description: "The person's referral source." })
  referredBy(@Root() person: Person, @Ctx() ctx: Context): Person | null | Promise<Person | null> {
    return person.referredById ? ctx.loaders.person.get(person.referredById) : null;
  }
}
