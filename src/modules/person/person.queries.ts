import { DataSource, SelectQueryBuilder } from "typeorm";
import { Company } from "../company/company.entity";
import { Person } from "./person.entity";

/**
 * The people of an organization (alias `person`) with their employer joined (alias `company`),
 * which Loaders.primeEmployer reads, so Person.company then costs no statement.
 */
export function peopleWithEmployers(db: DataSource, organizationId: string): SelectQueryBuilder<Person> {
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
