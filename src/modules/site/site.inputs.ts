import { IsOptional, IsUUID, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank } from "../../core/validation/rules";

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

@InputType({ description: "Narrows sites; every condition given must hold." })
export class SiteFilter {
  @Field(() => ID, { nullable: true, description: "Sites of this company." })
  @IsOptional()
  @IsUUID("all", { message: "companyId must be a UUID" })
  companyId?: string | null;

  @Field(() => String, { nullable: true, description: "Part of the name, any case." })
  @IsOptional()
  @MaxLength(200)
  search?: string | null;
}
