import { IsFQDN, IsOptional } from "class-validator";
import { Field, InputType } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank, MaxLength } from "../../core/validation/rules";

@InputType({ description: "A company to add to your organization." })
export class CreateCompanyInput extends MutationInput {
  @Field({ description: "Not blank, at most 200 characters; stored trimmed." })
  @IsNotBlank()
  @MaxLength(200)
  name: string;

  @Field(() => String, { nullable: true, description: "Web domain, such as acme.com." })
  @IsOptional()
  @IsFQDN({}, { message: "domain must be a domain name such as acme.com" })
  domain?: string | null;
}

@InputType({ description: "Narrows companies; every condition given must hold." })
export class CompanyFilter {
  @Field(() => String, { nullable: true, description: "Part of the name, any case." })
  @IsOptional()
  @MaxLength(200)
  search?: string | null;
}
