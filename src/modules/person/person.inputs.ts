import { IsEmail, IsEnum, IsOptional, IsUUID } from "class-validator";
import { MaxLength } from "../../core/validation/rules";
import { Field, ID, InputType } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { PersonType } from "./person.entity";

@InputType({ description: "A person to add to your organization." })
export class CreatePersonInput extends MutationInput {
  @Field(() => PersonType, { defaultValue: PersonType.CONTACT, description: "CONTACT by default; a USER needs an email." })
  @IsEnum(PersonType)
  type: PersonType = PersonType.CONTACT;

  @Field(() => String, { nullable: true, description: "Given name, at most 100 characters; blank is none." })
  @IsOptional()
  @MaxLength(100)
  firstName?: string | null;

  @Field(() => String, { nullable: true, description: "Family name, at most 100 characters; blank is none." })
  @IsOptional()
  @MaxLength(100)
  lastName?: string | null;

  @Field(() => String, { nullable: true, description: "Display name, when it differs from first and last name." })
  @IsOptional()
  @MaxLength(200)
  name?: string | null;

  @Field(() => String, { nullable: true, description: "Required for USER people, and unique among them." })
  @IsOptional()
  @IsEmail({}, { message: "email must be an email address" })
  @MaxLength(320)
  email?: string | null;

  @Field(() => ID, { nullable: true, description: "The person's employer." })
  @IsOptional()
  @IsUUID("all", { message: "companyId must be a UUID" })
  companyId?: string | null;

  @Field(() => ID, { nullable: true, description: "Who referred this person (their referral source)." })
  @IsOptional()
  @IsUUID("all", { message: "referredById must be a UUID" })
  referredById?: string | null;
}

@InputType({ description: "Narrows people; every condition given must hold." })
export class PersonFilter {
  @Field(() => ID, { nullable: true, description: "People employed by this company." })
  @IsOptional()
  @IsUUID("all", { message: "companyId must be a UUID" })
  companyId?: string | null;

  @Field(() => PersonType, { nullable: true, description: "Only USERs, or only CONTACTs." })
  @IsOptional()
  @IsEnum(PersonType)
  type?: PersonType | null;

  @Field(() => String, { nullable: true, description: "Part of the name or email, any case." })
  @IsOptional()
  @MaxLength(200)
  search?: string | null;
}
