import { IsEnum, IsISO4217CurrencyCode, IsOptional, IsUUID } from "class-validator";
import { Field, Float, ID, InputType, registerEnumType } from "type-graphql";
import { OrderDirection } from "../../core/pagination/connection";
import { IsMoneyAmount, MaxLength } from "../../core/validation/rules";
import { CreateDealInput } from "../deal/deal-creation";

export const REFERRAL_NAME_MAX_LENGTH = 200;
export const REFERRAL_DESCRIPTION_MAX_LENGTH = 1000;

@InputType({ description: "A warm introduction to record: who is introduced to whom, and by whom." })
export class CreateReferralOpportunityInput extends CreateDealInput {
  @Field(() => ID, { description: "The person looking for a solution." })
  @IsUUID("all", { message: "seekerId must be a UUID" })
  seekerId: string;

  @Field(() => ID, { description: "The person providing the solution." })
  @IsUUID("all", { message: "providerId must be a UUID" })
  providerId: string;

  @Field(() => ID, { nullable: true, description: "The person making the introduction; you when omitted." })
  @IsOptional()
  @IsUUID("all", { message: "connectorId must be a UUID" })
  connectorId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      `At most ${REFERRAL_NAME_MAX_LENGTH} characters. Omitted or blank:` +
      ` "<seeker's employer> → <provider's employer>", a person's own name standing in for an employer they lack.`,
  })
  @IsOptional()
  @MaxLength(REFERRAL_NAME_MAX_LENGTH)
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `A note or justification, at most ${REFERRAL_DESCRIPTION_MAX_LENGTH} characters; blank is none.`,
  })
  @IsOptional()
  @MaxLength(REFERRAL_DESCRIPTION_MAX_LENGTH)
  description?: string | null;

  @Field(() => Float, { nullable: true, description: "Expected deal value: 0 or more, at most 4 decimals." })
  @IsOptional()
  @IsMoneyAmount()
  expectedValue?: number | null;

  @Field(() => String, { defaultValue: "USD", description: "ISO 4217 code, in any case; stored in upper case." })
  @IsISO4217CurrencyCode({ message: "currency must be an ISO 4217 currency code such as USD" })
  currency: string = "USD";

  @Field(() => ID, { nullable: true, description: "The product the referral is about." })
  @IsOptional()
  @IsUUID("all", { message: "productId must be a UUID" })
  productId?: string | null;
}

@InputType({ description: "Narrows referralOpportunities; every condition given must hold." })
export class ReferralOpportunityFilter {
  @Field(() => ID, { nullable: true, description: "Deals in this stage." })
  @IsOptional()
  @IsUUID("all", { message: "stageId must be a UUID" })
  stageId?: string | null;

  @Field(() => ID, { nullable: true, description: "Deals with this seeker." })
  @IsOptional()
  @IsUUID("all", { message: "seekerId must be a UUID" })
  seekerId?: string | null;

  @Field(() => ID, { nullable: true, description: "Deals with this provider." })
  @IsOptional()
  @IsUUID("all", { message: "providerId must be a UUID" })
  providerId?: string | null;

  @Field(() => ID, { nullable: true, description: "Deals with this connector." })
  @IsOptional()
  @IsUUID("all", { message: "connectorId must be a UUID" })
  connectorId?: string | null;

  @Field(() => Date, { nullable: true, description: "Deals created at or after this instant." })
  @IsOptional()
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: "Deals created before this instant." })
  @IsOptional()
  createdBefore?: Date | null;
}

export enum ReferralOpportunityOrderField {
  CREATED_AT = "CREATED_AT",
  NAME = "NAME",
  EXPECTED_VALUE = "EXPECTED_VALUE",
}
registerEnumType(ReferralOpportunityOrderField, {
  name: "ReferralOpportunityOrderField",
  valuesConfig: {
    NAME: { description: "By name, ignoring case." },
    EXPECTED_VALUE: { description: "Deals without an expected value come first in ascending order." },
  },
});

@InputType({ description: "How referralOpportunities are ordered: newest first unless said otherwise." })
export class ReferralOpportunityOrder {
  @Field(() => ReferralOpportunityOrderField, { defaultValue: ReferralOpportunityOrderField.CREATED_AT })
  @IsEnum(ReferralOpportunityOrderField)
  field: ReferralOpportunityOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC })
  @IsEnum(OrderDirection)
  direction: OrderDirection;
}

