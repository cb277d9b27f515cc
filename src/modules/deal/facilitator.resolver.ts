import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { required } from "../../core/errors/errors";
import { Company } from "../company/company.entity";
import { Person } from "../person/person.entity";
import { Facilitator } from "./facilitator.entity";

@Resolver(() => Facilitator)
export class FacilitatorResolver {
  @FieldResolver(() => Person, { description: "The facilitating person." })
  user(@Root() facilitator: Facilitator, @Ctx() { loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(facilitator.personId), "Person", facilitator.personId);
  }

  @FieldResolver(() => Company, { nullable: true, description: "The person's employer when the deal was created." })
  company(@Root() facilitator: Facilitator, @Ctx() { loaders }: Context): Company | null | Promise<Company | null> {
    return facilitator.companyId ? loaders.company.get(facilitator.companyId) : null;
  }
}
