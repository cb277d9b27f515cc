import { IsOptional, IsUUID } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank, MaxLength } from "../../core/validation/rules";

@InputType({ description: "A site to add to one of your organization's companies." })
export class CreateSiteInput extends MutationInput {
  @Field(() => ID, { description: "The company the site belongs to." })
  @IsUUID("all", { message: "companyId must be a UUID" })
  companyId: string;

  @Field({ description: "Not blank, at most 200 characters; stored trimmed." })
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => String, { nullable: true, description: "The site's address, free text of at most 1000 characters." })
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
