import { IsEnum, IsOptional, IsUUID, Max, Min } from "class-validator";
import { ArgsType, Field, ID, InputType, Int, registerEnumType } from "type-graphql";
import { DealListFilter } from "../deal/deal.filters";
import { Pipeline } from "../stage/stage.entity";

export const MAX_DEALS_PER_STAGE = 100;

/** What the board and a column of it show: the deal lists' conditions, and the opportunity list's owner and workspace. */
@InputType({ description: "Every given condition must hold, for the counts and sums as for the deals listed." })
export class PipelineBoardFilter extends DealListFilter {
  @Field(() => ID, { nullable: true, description: "Deals owned by this USER." })
  @IsOptional()
  @IsUUID("all", { message: "ownerId must be a UUID" })
  ownerId?: string | null;

  @Field(() => ID, { nullable: true, description: "Deals belonging to this workspace (of those you can see)." })
  @IsOptional()
  @IsUUID("all", { message: "workspaceId must be a UUID" })
  workspaceId?: string | null;
}

@ArgsType()
export class PipelineBoardArgs {
  @Field(() => Pipeline, { description: "REFERRAL (referral opportunities) or SALES (opportunities)." })
  @IsEnum(Pipeline)
  pipeline: Pipeline;

  @Field(() => Int, {
    defaultValue: 20,
    description: `How many deals each column lists, 1 to ${MAX_DEALS_PER_STAGE}; pipelineColumn pages on from a column's endCursor.`,
  })
  @Min(1)
  @Max(MAX_DEALS_PER_STAGE)
  dealsPerStage: number = 20;
}

export enum ForecastGrouping {
  MONTH = "month",
  QUARTER = "quarter",
}
registerEnumType(ForecastGrouping, {
  name: "ForecastGrouping",
  description: "The length of a forecast's periods, in UTC.",
  valuesConfig: {
    MONTH: { description: "Calendar months: 2026-01, 2026-02, …" },
    QUARTER: { description: "Calendar quarters: 2026-Q1 (January to March), 2026-Q2, …" },
  },
});

/** The window of an analysis, [from, to): the analytics service checks that to is not before from and at most 10 years after it. */
@ArgsType()
export class PipelineWindowArgs {
  @Field(() => Pipeline, { description: "REFERRAL (referral opportunities) or SALES (opportunities)." })
  @IsEnum(Pipeline)
  pipeline: Pipeline;

  @Field(() => Date, { description: "The start of the window: its first instant." })
  from: Date;

  @Field(() => Date, { description: "The end of the window, not part of it: not before from, and at most 10 years after it." })
  to: Date;
}

@ArgsType()
export class PipelineForecastArgs extends PipelineWindowArgs {
  @Field(() => ForecastGrouping, { defaultValue: ForecastGrouping.MONTH, description: "Months (the default) or quarters." })
  @IsEnum(ForecastGrouping)
  groupBy: ForecastGrouping = ForecastGrouping.MONTH;
}
