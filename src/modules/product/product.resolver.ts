import { Arg, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { orNotFound } from "../../core/errors/errors";
import { payload, PayloadType } from "../../core/graphql/payload";
import { Company } from "../company/company.entity";
import { Product } from "./product.entity";
import { CreateProductInput } from "./product.inputs";
import { productService } from "./product.service";

@ObjectType({ description: "What createProduct answers: the product added." })
class CreateProductPayload extends PayloadType(Product) {}

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => Product, {
    nullable: true,
    description:
      "A product of your organization. Null, with a NOT_FOUND error, when the id names nothing you can see; the rest of the request still answers." })
  async product(@Arg("id", () => ID, { description: "The product's id." }) id: string, @Ctx() ctx: Context): Promise<Product> {
    return orNotFound(await ctx.loaders.product.load(id), "Product", id);
  }

  @Mutation(() => CreateProductPayload, { description: "Adds a product (a provider's offering) to your organization." })
  async createProduct(@Arg("input", { description: "The product to add." }) input: CreateProductInput, @Ctx() ctx: Context) {
    return payload("Product created successfully", await productService.create(ctx, input));
  }

  @FieldResolver(() => Company, { nullable: true, description: "The company that provides the product." })
  company(@Root() product: Product, @Ctx() ctx: Context): Company | null | Promise<Company | null> {
    return product.companyId ? ctx.loaders.company.get(product.companyId) : null;
  }
}
