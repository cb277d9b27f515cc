import { IsEnum, IsInt, IsISO4217CurrencyCode, IsOptional, IsUUID, Min } from "class-validator";
import { Field, ID, InputType, Int, registerEnumType } from "type-graphql";
import { OrderDirection } from "../../core/pagination/connection";
import { Decimal } from "../../core/graphql/decimal";
import { PatchInput } from "../../core/graphql/patch-input";
import { IsMoneyAmount, MaxLength } from "../../core/validation/rules";
import { CreateDealInput } from "../deal/deal-creation";
import { DealListFilter } from "../deal/deal.filters";

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

  @Field(() => Decimal, { nullable: true, description: "Expected deal value: 0 or more, at most 4 decimals; stored exactly." })
  @IsOptional()
  @IsMoneyAmount()
  expectedValue?: string | number | null;

  @Field(() => String, { description: "ISO 4217 code, in any case; stored in upper case." })
  @IsISO4217CurrencyCode({ message: "currency must be an ISO 4217 currency code such as USD" })
  currency: string = "USD";

  @Field(() => ID, { nullable: true, description: "The product the referral is about." })
  @IsOptional()
  @IsUUID("all", { message: "productId must be a UUID" })
  productId?: string | null;
}

/**
 * The changes to make to a referral: a field left out stays as it is, `null` clears an optional
 * one. Changing the seeker, provider or connector plans the facilitators again by the create's rule.
 */
@InputType({ description: "Changes to a referral opportunity: fields left out stay as they are; null clears an optional field." })
export class UpdateReferralOpportunityInput extends PatchInput(CreateReferralOpportunityInput, {
  omit: ["idempotencyKey"],
  notClearable: ["connectorId"],
  descriptions: {
    connectorId: "The person who made the introduction.",
    name: `At most ${REFERRAL_NAME_MAX_LENGTH} characters; null or blank names the deal after the two employers again.`,
  },
}) {
  @Field(() => Int, { nullable: true, description: "The version you last read; another is CONFLICT and nothing is written." })
  @IsOptional()
  @IsInt()
  @Min(1)
  expectedVersion?: number | null;
}

@InputType({ description: "Narrows referralOpportunities; every condition given must hold." })
export class ReferralOpportunityFilter extends DealListFilter {
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
  description: "What a list of referral opportunities is ordered by.",
  valuesConfig: {
    CREATED_AT: { description: "When the deal was created; the default." },
    NAME: { description: "By name, ignoring case." },
    EXPECTED_VALUE: { description: "Deals without an expected value come first in ascending order." },
  },
});

@InputType({ description: "How referralOpportunities are ordered: newest first unless said otherwise." })
export class ReferralOpportunityOrder {
  @Field(() => ReferralOpportunityOrderField, { defaultValue: ReferralOpportunityOrderField.CREATED_AT, description: "What to order by; CREATED_AT by default." })
  @IsEnum(ReferralOpportunityOrderField)
  field: ReferralOpportunityOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC, description: "ASC or DESC; DESC by default." })
  @IsEnum(OrderDirection)
  direction: OrderDirection;
}

