import { IsBoolean, IsDate, IsEnum, IsInt, IsISO4217CurrencyCode, IsOptional, IsUUID, Max, Min } from "class-validator";
import { Field, Float, ID, InputType, Int, registerEnumType } from "type-graphql";
import { OrderDirection } from "../../core/pagination/connection";
import { IsMoneyAmount, IsNotBlank, MaxLength } from "../../core/validation/rules";
import { CreateDealInput } from "../deal/deal-creation";
import { VisibilityMode } from "../deal/deal.enums";
import { LostReasonCategory, OpportunityPriority, OpportunitySource, OpportunityStage, PipelineType } from "./opportunity.enums";

/** The longest free-text value (scope summary, notes, reasons, requirements), as the schema's CHECKs allow. */
export const MAX_FREE_TEXT = 5000;
export const MAX_TITLE = 200;
export const MAX_SOLUTION_FAMILIES = 50;
export const MAX_SOLUTION_FAMILY_LENGTH = 200;

/** The seed's `opportunity.create` input, field for field, plus `currency`. */
@InputType()
export class CreateOpportunityInput extends CreateDealInput {
  @Field(() => ID, { description: "The customer company." })
  @IsUUID("all", { message: "customerId must be a UUID" })
  customerId: string;

  @Field(() => ID, { nullable: true, description: "The customer's main contact person." })
  @IsOptional()
  @IsUUID("all", { message: "primaryContactId must be a UUID" })
  primaryContactId?: string | null;

  @Field(() => ID, { nullable: true, description: "The customer's site the work is for; it must belong to the customer." })
  @IsOptional()
  @IsUUID("all", { message: "siteId must be a UUID" })
  siteId?: string | null;

  @Field({ description: `1 to ${MAX_TITLE} characters.` })
  @IsNotBlank({ message: "title must not be blank" })
  @MaxLength(MAX_TITLE)
  title: string;

  @Field(() => OpportunityStage, { defaultValue: OpportunityStage.LEAD })
  @IsEnum(OpportunityStage)
  stage: OpportunityStage;

  @Field(() => PipelineType)
  @IsEnum(PipelineType)
  pipelineType: PipelineType;

  @Field(() => OpportunitySource, { nullable: true })
  @IsOptional()
  @IsEnum(OpportunitySource)
  source?: OpportunitySource | null;

  @Field(() => Float, { nullable: true, description: "0 or more, at most 4 decimals; stored exactly." })
  @IsOptional()
  @IsMoneyAmount()
  estimatedValue?: number | null;

  @Field(() => Date, { nullable: true, description: "ISO 8601 date-time." })
  @IsOptional()
  @IsDate()
  expectedCloseDate?: Date | null;

  @Field(() => Int, { nullable: true, description: "0 to 100; defaults to the stage's probability." })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  probability?: number | null;

  @Field(() => [String], {
    nullable: true,
    description: `Non-blank names, at most ${MAX_SOLUTION_FAMILIES} different ones; duplicates (any case) are dropped.`,
  })
  @IsOptional()
  @IsNotBlank({ each: true, message: "solutionFamilies must not contain blank names" })
  @MaxLength(MAX_SOLUTION_FAMILY_LENGTH, { each: true })
  solutionFamilies?: string[] | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  scopeSummary?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  competitorNotes?: string | null;

  @Field(() => String, { nullable: true, description: "Only with stage WON or LOST." })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  winLossReason?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  nextStepDescription?: string | null;

  @Field(() => Date, { nullable: true, description: "ISO 8601 date-time." })
  @IsOptional()
  @IsDate()
  nextStepDate?: Date | null;

  @Field(() => Date, { nullable: true, description: "ISO 8601 date-time." })
  @IsOptional()
  @IsDate()
  bidDueDate?: Date | null;

  @Field({ defaultValue: false })
  @IsBoolean()
  budgetConfirmed: boolean;

  @Field(() => OpportunityPriority, { nullable: true })
  @IsOptional()
  @IsEnum(OpportunityPriority)
  priority?: OpportunityPriority | null;

  @Field(() => LostReasonCategory, { nullable: true, description: "Only with stage LOST." })
  @IsOptional()
  @IsEnum(LostReasonCategory)
  lostReasonCategory?: LostReasonCategory | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  technicalRequirements?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: "The USER who owns the opportunity, a member of its workspace. Defaults to you.",
  })
  @IsOptional()
  @IsUUID("all", { message: "ownerUserId must be a UUID" })
  ownerUserId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: "A workspace you are a member of. Defaults to your current workspace (X-Workspace-Id).",
  })
  @IsOptional()
  @IsUUID("all", { message: "workspaceId must be a UUID" })
  workspaceId?: string | null;

  @Field(() => VisibilityMode, { defaultValue: VisibilityMode.WORKSPACE_LOCAL })
  @IsEnum(VisibilityMode)
  visibilityMode: VisibilityMode;

  @Field(() => String, { nullable: true, defaultValue: "USD", description: "ISO 4217 currency code." })
  @IsOptional()
  @IsISO4217CurrencyCode({ message: "currency must be an ISO 4217 currency code such as USD" })
  currency?: string | null;
}

@InputType({ description: "Every given condition must hold." })
export class OpportunityFilter {
  @Field(() => OpportunityStage, { nullable: true })
  @IsOptional()
  @IsEnum(OpportunityStage)
  stage?: OpportunityStage | null;

  @Field(() => PipelineType, { nullable: true })
  @IsOptional()
  @IsEnum(PipelineType)
  pipelineType?: PipelineType | null;

  @Field(() => OpportunityPriority, { nullable: true })
  @IsOptional()
  @IsEnum(OpportunityPriority)
  priority?: OpportunityPriority | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID("all", { message: "customerId must be a UUID" })
  customerId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID("all", { message: "ownerId must be a UUID" })
  ownerId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID("all", { message: "workspaceId must be a UUID" })
  workspaceId?: string | null;

  @Field(() => Date, { nullable: true, description: "Expected to close at or after this instant." })
  @IsOptional()
  @IsDate()
  expectedCloseAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: "Expected to close before this instant (exclusive)." })
  @IsOptional()
  @IsDate()
  expectedCloseBefore?: Date | null;
}

export enum OpportunityOrderField {
  CREATED_AT = "CREATED_AT",
  EXPECTED_CLOSE_DATE = "EXPECTED_CLOSE_DATE",
  ESTIMATED_VALUE = "ESTIMATED_VALUE",
  TITLE = "TITLE",
}
registerEnumType(OpportunityOrderField, {
  name: "OpportunityOrderField",
  valuesConfig: {
    EXPECTED_CLOSE_DATE: { description: "Opportunities without a date come last in ascending order." },
    ESTIMATED_VALUE: { description: "Opportunities without a value come first in ascending order." },
    TITLE: { description: "Case-insensitive." },
  },
});

@InputType()
export class OpportunityOrder {
  @Field(() => OpportunityOrderField, { defaultValue: OpportunityOrderField.CREATED_AT })
  @IsEnum(OpportunityOrderField)
  field: OpportunityOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC })
  @IsEnum(OrderDirection)
  direction: OrderDirection;
}
