import { insertRow } from "../../core/db/insert";
import { Context } from "../../core/context/context";
import { InputProblems } from "../../core/errors/field-errors";
import { OrderDirection, PageArgs, paginate } from "../../core/pagination/connection";
import { likePattern } from "../../core/validation/rules";
import { Company } from "./company.entity";
import { CompanyFilter, CreateCompanyInput } from "./company.inputs";

export const companyService = {
  async create({ db, viewer, loaders }: Context, input: CreateCompanyInput): Promise<Company> {
    (await InputProblems.of(input)).throwIfAny();
    const company = await insertRow(db, Company, {
      organizationId: viewer.organizationId,
      name: input.name.trim(),
      domain: input.domain?.toLowerCase() ?? null,
    });
    loaders.company.prime(company.id, company);
    return company;
  },

  list({ db, viewer }: Context, page: PageArgs, filter: CompanyFilter = {}, withCount = false) {
    const qb = db
      .getRepository(Company)
      .createQueryBuilder("company")
      .where("company.organization_id = :organizationId", { organizationId: viewer.organizationId });
    if (filter.search?.trim()) qb.andWhere("company.name ILIKE :search", { search: likePattern(filter.search) });
    return paginate(db, qb, page, { name: "name", expression: "lower(company.name)", type: "text" }, OrderDirection.ASC, { withCount });
  },
};
