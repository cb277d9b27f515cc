import { Context } from "../../core/context/context";
import { insertRow } from "../../core/db/insert";
import { InputProblems } from "../../core/errors/field-errors";
import { OrderDirection, PageArgs, paginate } from "../../core/pagination/connection";
import { likePattern } from "../../core/validation/rules";
import { Site } from "./site.entity";
import { CreateSiteInput, SiteFilter } from "./site.inputs";

export const siteService = {
  async create({ db, viewer, loaders }: Context, input: CreateSiteInput): Promise<Site> {
    const problems = await InputProblems.of(input);
    if (!problems.has("companyId") && !(await loaders.company.load(input.companyId))) {
      problems.add("companyId", "no company with this id exists", "exists");
    }
    problems.throwIfAny();
    const site = await insertRow(db, Site, {
      organizationId: viewer.organizationId,
      companyId: input.companyId,
      name: input.name.trim(),
      address: input.address ?? null,
    });
    loaders.site.prime(site.id, site);
    return site;
  },

  /** The sites of the organization, by name; filter: null means no filter. */
  list({ db, viewer }: Context, page: PageArgs, given: SiteFilter | null = {}, withCount = false) {
    const filter = given ?? {};
    const qb = db
      .getRepository(Site)
      .createQueryBuilder("site")
      .where("site.organization_id = :organizationId", { organizationId: viewer.organizationId });
    if (filter.companyId) qb.andWhere("site.company_id = :companyId", { companyId: filter.companyId.toLowerCase() });
    if (filter.search?.trim()) qb.andWhere("site.name ILIKE :search", { search: likePattern(filter.search) });
    return paginate(db, qb, page, { name: "name", expression: "lower(site.name)", type: "text" }, OrderDirection.ASC, { withCount });
  },
};
