import { Context } from "../../core/context/context";
import { insertRow } from "../../core/db/insert";
import { InputProblems } from "../../core/errors/field-errors";
import { Product } from "./product.entity";
import { CreateProductInput } from "./product.inputs";

export const productService = {
  async create({ db, viewer, loaders }: Context, input: CreateProductInput): Promise<Product> {
    const problems = await InputProblems.of(input);
    if (input.companyId && !problems.has("companyId") && !(await loaders.company.load(input.companyId))) {
      problems.add("companyId", "no company with this id exists", "exists");
    }
    problems.throwIfAny();
    const product = await insertRow(db, Product, {
      organizationId: viewer.organizationId,
      name: input.name.trim(),
      description: input.description ?? null,
      companyId: input.companyId ?? null,
    });
    loaders.product.prime(product.id, product);
    return product;
  },
};
