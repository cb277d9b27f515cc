import { Context } from "../../core/context/context";
import { insertRow } from "../../core/db/insert";
import { InputProblems } from "../../core/errors/field-errors";
import { primeRelated, relatedSql } from "../../core/loaders/related";
import { OrderDirection, PageArgs, paginate } from "../../core/pagination/connection";
import { likePattern } from "../../core/validation/rules";
import { Person, PersonType } from "./person.entity";
import { CreatePersonInput, PersonFilter } from "./person.inputs";
import { assertUserEmailFree, keptPeopleCount, peopleWithEmployers } from "./person.queries";

const blankToNull = (value: string | null | undefined) => value?.trim() || null;

export const personService = {
  async create(ctx: Context, input: CreatePersonInput): Promise<Person> {
    const { db, viewer, loaders } = ctx;
    const problems = await InputProblems.of(input);
    const firstName = blankToNull(input.firstName);
    const lastName = blankToNull(input.lastName);
    const name = blankToNull(input.name);
    const email = blankToNull(input.email)?.toLowerCase() ?? null;
    if (!firstName && !lastName && !name) {
      problems.add("name", "give a name, a first name or a last name", "hasName");
    }
    if (input.type === PersonType.USER && !email && !problems.has("email")) {
      problems.add("email", "email is required for a USER", "isRequiredForUser");
    }
    const [company, referredBy] = await Promise.all([
      input.companyId && !problems.has("companyId") ? loaders.company.load(input.companyId) : undefined,
      input.referredById && !problems.has("referredById") ? loaders.person.load(input.referredById) : undefined,
    ]);
    if (company === null) problems.add("companyId", "no company with this id exists", "exists");
    if (referredBy === null) problems.add("referredById", "no person with this id exists", "exists");
    problems.throwIfAny();

    if (input.type === PersonType.USER) await assertUserEmailFree(db, viewer.organizationId, email!);
    const person = await insertRow(db, Person, {
      organizationId: viewer.organizationId,
      type: input.type,
      firstName,
      lastName,
      name,
      email,
      companyId: input.companyId ?? null,
      referredById: input.referredById ?? null,
    });
    loaders.person.prime(person.id, person);
    return person;
  },

  list({ db, viewer, loaders }: Context, page: PageArgs, filter: PersonFilter = {}, withCount = false) {
    const qb = peopleWithEmployers(db, viewer.organizationId);
    if (filter.companyId) qb.andWhere("person.company_id = :companyId", { companyId: filter.companyId });
    if (filter.type) qb.andWhere("person.type = :type", { type: filter.type });
    if (filter.search?.trim()) {
      qb.andWhere(
        "concat_ws(' ', person.name, person.first_name, person.last_name, person.email) ILIKE :search",
        { search: likePattern(filter.search) },
      );
    }
    const sort = { name: "createdAt", expression: "person.created_at", type: "timestamptz" } as const;
    // Without a search the list's text is the same from request to request: prepared (see prepared.ts).
    return paginate(db, qb, page, sort, OrderDirection.ASC, {
      withCount,
      count: keptPeopleCount(db, viewer.organizationId, filter),
      prepare: !filter.search?.trim(),
      eachRow: (_person, row) => loaders.primeEmployer(qb, row),
      // Whoever referred each person, with their employer, in the page's own statement.
      related: { sql: relatedSql(db.connection, { person: ["referred_by_id"] }, "person"), use: (related, ids) => primeRelated(loaders, db.connection, related, ids) },
    });
  },
};
