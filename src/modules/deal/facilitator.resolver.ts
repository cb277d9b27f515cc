import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound } from "../../core/errors/errors";
import { Company } from "../company/company.entity";
import { Person } from "../person/person.entity";
import { Facilitator } from "./facilitator.entity";

@Resolver(() => Facilitator)
export class FacilitatorResolver {
  @FieldResolver(() => Person, { description: "The facilitating person." })
  async user(@Root() facilitator: Facilitator, @Ctx() { loaders }: Context): Promise<Person> {
    return orNotFound(await loaders.person.load(facilitator.personId), "Person", facilitator.personId);
  }

  @FieldResolver(() => Company, { nullable: true, description: "The person's employer when the deal was created." })
  company(@Root() facilitator: Facilitator, @Ctx() { loaders }: Context): Promise<Company | null> | null {
    return facilitator.companyId ? loaders.company.load(facilitator.companyId) : null;
  }
}
