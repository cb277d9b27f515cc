import { IsOptional, IsUUID } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank, MaxLength } from "../../core/validation/rules";

@InputType({ description: "A product to add to your organization." })
export class CreateProductInput extends MutationInput {
  @Field({ description: "Not blank, at most 200 characters; stored trimmed." })
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => String, { nullable: true, description: "What the product is, at most 5000 characters." })
  @IsOptional()
  @MaxLength(5000)
  description?: string | null;

  @Field(() => ID, { nullable: true, description: "The company that provides the product." })
  @IsOptional()
  @IsUUID("all", { message: "companyId must be a UUID" })
  companyId?: string | null;
}
