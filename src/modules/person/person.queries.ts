import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { ConflictError } from "../../core/errors/errors";
import { Company } from "../company/company.entity";
import { Person, PersonType } from "./person.entity";
import { PersonFilter } from "./person.inputs";

/**
 * The people of an organization (alias `person`) with their employer joined (alias `company`),
 * which Loaders.primeEmployer reads, so Person.company then costs no statement.
 */
export function peopleWithEmployers(db: DataSource | EntityManager, organizationId: string): SelectQueryBuilder<Person> {
  return db
    .getRepository(Person)
    .createQueryBuilder("person")
    .leftJoinAndMapOne(
      "person.company",
      Company,
      "company",
      "company.organization_id = person.organization_id AND company.id = person.company_id",
    )
    .where("person.organization_id = :organizationId", { organizationId });
}

/**
 * The statement that counts the people list from the counts the person-counts migration's
 * triggers keep, when the filter narrows by nothing but the type (a blank search narrows
 * nothing); otherwise undefined, and the list counts its rows. A filter field added later counts
 * rows until it is taught here.
 */
export function keptPeopleCount(db: EntityManager, organizationId: string, filter: PersonFilter): SelectQueryBuilder<ObjectLiteral> | undefined {
  const narrowed = Object.entries(filter).some(
    ([name, value]) => name !== "type" && value !== undefined && value !== null && !(name === "search" && String(value).trim() === ""),
  );
  if (narrowed) return undefined;
  const count = db
    .createQueryBuilder()
    .select("coalesce(sum(counted.people), 0)", "count")
    .from("person_count", "counted")
    .where("counted.organization_id = :organizationId", { organizationId });
  return filter.type ? count.andWhere("counted.type = :type", { type: filter.type }) : count;
}

/**
 * USER emails are unique in an organization, whatever their case. The unique index enforces it
 * (a race ends as CONFLICT too); this check names the email in the message.
 */
export async function assertUserEmailFree(manager: EntityManager, organizationId: string, email: string): Promise<void> {
  const taken = await manager
    .getRepository(Person)
    .createQueryBuilder("person")
    .where("person.organization_id = :organizationId AND person.type = :type AND lower(person.email) = lower(:email)", {
      organizationId,
      type: PersonType.USER,
      email,
    })
    .getExists();
  if (taken) throw new ConflictError(`A user with the email ${email} already exists in this organization.`);
}
