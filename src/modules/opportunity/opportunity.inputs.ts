import { IsBoolean, IsDate, IsEnum, IsInt, IsISO4217CurrencyCode, IsOptional, IsUUID, Max, Min } from "class-validator";
import { Field, ID, InputType, Int, registerEnumType } from "type-graphql";
import { OrderDirection } from "../../core/pagination/connection";
import { Decimal } from "../../core/graphql/decimal";
import { PatchInput } from "../../core/graphql/patch-input";
import { IsMoneyAmount, IsNotBlank, MaxLength } from "../../core/validation/rules";
import { CreateDealInput } from "../deal/deal-creation";
import { DealListFilter } from "../deal/deal.filters";
import { VisibilityMode } from "../deal/deal.enums";
import { LostReasonCategory, OpportunityPriority, OpportunitySource, OpportunityStage, PipelineType } from "./opportunity.enums";

/** The longest free-text value (scope summary, notes, reasons, requirements), as the schema's CHECKs allow. */
export const MAX_FREE_TEXT = 5000;
export const MAX_TITLE = 200;
export const MAX_SOLUTION_FAMILIES = 50;
export const MAX_SOLUTION_FAMILY_LENGTH = 200;

/** The seed's `opportunity.create` input, field for field, plus `currency`. */
@InputType({
  description:
    "A sales opportunity to create: the opportunity.create contract's input, field for field, plus currency. " +
    "Customer, contact, site, owner and workspace must be of your organization.",
})
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

  @Field(() => OpportunityStage, { description: "The SALES stage the opportunity starts in; LEAD by default. WON or LOST creates it closed." })
  @IsEnum(OpportunityStage)
  stage: OpportunityStage = OpportunityStage.LEAD;

  @Field(() => PipelineType, { description: "What kind of work the opportunity is." })
  @IsEnum(PipelineType)
  pipelineType: PipelineType;

  @Field(() => OpportunitySource, { nullable: true, description: "Where the opportunity came from." })
  @IsOptional()
  @IsEnum(OpportunitySource)
  source?: OpportunitySource | null;

  @Field(() => Decimal, { nullable: true, description: "0 or more, at most 4 decimals; stored exactly." })
  @IsOptional()
  @IsMoneyAmount()
  estimatedValue?: string | number | null;

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

  @Field(() => String, { nullable: true, description: "A summary of the scope of work, at most 5000 characters; blank is none." })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  scopeSummary?: string | null;

  @Field(() => String, { nullable: true, description: "Notes on the competitors for the work, at most 5000 characters; blank is none." })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  competitorNotes?: string | null;

  @Field(() => String, { nullable: true, description: "Only with stage WON or LOST." })
  @IsOptional()
  @MaxLength(MAX_FREE_TEXT)
  winLossReason?: string | null;

  @Field(() => String, { nullable: true, description: "What is to be done next, at most 5000 characters; blank is none." })
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

  @Field({ description: "Whether the customer's budget is confirmed; false by default." })
  @IsBoolean()
  budgetConfirmed: boolean = false;

  @Field(() => OpportunityPriority, { nullable: true, description: "How urgent the opportunity is." })
  @IsOptional()
  @IsEnum(OpportunityPriority)
  priority?: OpportunityPriority | null;

  @Field(() => LostReasonCategory, { nullable: true, description: "Only with stage LOST." })
  @IsOptional()
  @IsEnum(LostReasonCategory)
  lostReasonCategory?: LostReasonCategory | null;

  @Field(() => String, { nullable: true, description: "The technical requirements of the work, at most 5000 characters; blank is none." })
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

  @Field(() => VisibilityMode, { description: "Who can see the opportunity; WORKSPACE_LOCAL (members of its workspace) by default." })
  @IsEnum(VisibilityMode)
  visibilityMode: VisibilityMode = VisibilityMode.WORKSPACE_LOCAL;

  @Field(() => String, { nullable: true, description: "ISO 4217 currency code." })
  @IsOptional()
  @IsISO4217CurrencyCode({ message: "currency must be an ISO 4217 currency code such as USD" })
  currency?: string | null = "USD";
}

/**
 * The changes to make to an opportunity: a field left out stays as it is, `null` clears a
 * field that may be empty. Every rule of createOpportunity holds for the result.
 */
@InputType({ description: "Changes to a sales opportunity: fields left out stay as they are; null clears an optional field." })
export class UpdateOpportunityInput extends PatchInput(CreateOpportunityInput, {
  omit: ["idempotencyKey"],
  notClearable: ["currency", "probability", "solutionFamilies", "ownerUserId", "workspaceId"],
  descriptions: {
    stage: "Moves the opportunity (as moveDeal does): its probability follows the stage unless given too.",
    workspaceId: "Another workspace you are a member of; the owner must be a member too.",
    ownerUserId: "A USER who is a member of the opportunity's workspace.",
    solutionFamilies: `At most ${MAX_SOLUTION_FAMILIES} different names; [] for none.`,
    probability: "0 to 100. Left out when the stage changes, it follows the new stage's probability.",
  },
}) {
  @Field(() => Int, { nullable: true, description: "The version you last read; another is CONFLICT and nothing is written." })
  @IsOptional()
  @IsInt()
  @Min(1)
  expectedVersion?: number | null;
}

@InputType({ description: "Every given condition must hold." })
export class OpportunityFilter extends DealListFilter {
  @Field(() => OpportunityStage, { nullable: true, description: "Opportunities in this stage." })
  @IsOptional()
  @IsEnum(OpportunityStage)
  stage?: OpportunityStage | null;

  @Field(() => PipelineType, { nullable: true, description: "Opportunities for this kind of work." })
  @IsOptional()
  @IsEnum(PipelineType)
  pipelineType?: PipelineType | null;

  @Field(() => OpportunityPriority, { nullable: true, description: "Opportunities with this priority." })
  @IsOptional()
  @IsEnum(OpportunityPriority)
  priority?: OpportunityPriority | null;

  @Field(() => ID, { nullable: true, description: "Opportunities for this customer company." })
  @IsOptional()
  @IsUUID("all", { message: "customerId must be a UUID" })
  customerId?: string | null;

  @Field(() => ID, { nullable: true, description: "Opportunities owned by this USER." })
  @IsOptional()
  @IsUUID("all", { message: "ownerId must be a UUID" })
  ownerId?: string | null;

  @Field(() => ID, { nullable: true, description: "Opportunities belonging to this workspace (of those you can see)." })
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
  description: "What a list of opportunities is ordered by.",
  valuesConfig: {
    CREATED_AT: { description: "When the opportunity was created; the default." },
    EXPECTED_CLOSE_DATE: { description: "Opportunities without a date come last in ascending order." },
    ESTIMATED_VALUE: { description: "Opportunities without a value come first in ascending order." },
    TITLE: { description: "Case-insensitive." },
  },
});

@InputType({ description: "How opportunities are ordered: newest first unless said otherwise." })
export class OpportunityOrder {
  @Field(() => OpportunityOrderField, { defaultValue: OpportunityOrderField.CREATED_AT, description: "What to order by; CREATED_AT by default." })
  @IsEnum(OpportunityOrderField)
  field: OpportunityOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC, description: "ASC or DESC; DESC by default." })
  @IsEnum(OrderDirection)
  direction: OrderDirection;
}
