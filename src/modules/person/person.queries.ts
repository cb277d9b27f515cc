import { DataSource, EntityManager, SelectQueryBuilder } from "typeorm";
import { ConflictError } from "../../core/errors/errors";
import { Company } from "../company/company.entity";
import { Person, PersonType } from "./person.entity";

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
