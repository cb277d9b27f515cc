import { IsOptional, IsUUID } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank, MaxLength } from "../../core/validation/rules";

@InputType()
export class CreateSiteInput extends MutationInput {
  @Field(() => ID, { description: "The company the site belongs to." })
  @IsUUID("all", { message: "companyId must be a UUID" })
  companyId: string;

  @Field()
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(1000)
  address?: string | null;
}
