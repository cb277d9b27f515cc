import { Context } from "../../core/context/context";
import { insertRow } from "../../core/db/insert";
import { InputProblems } from "../../core/errors/field-errors";
import { Site } from "./site.entity";
import { CreateSiteInput } from "./site.inputs";

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
};
