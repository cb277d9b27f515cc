import { ClassType, Field, Float, Int, ObjectType } from "type-graphql";
import { Decimal } from "../../core/graphql/decimal";
import { ConnectionType, type Page } from "../../core/pagination/connection";
import { PipelineDeal } from "../deal/pipeline-deal.entity";
import { Pipeline, Stage } from "../stage/stage.entity";
import { ForecastGrouping } from "./pipeline.inputs";

@ObjectType({ description: "An amount of money in one currency." })
export class MoneyAmount {
  @Field({ description: "ISO 4217 currency code." })
  currency: string;

  @Field(() => Decimal, { description: "The exact amount." })
  amount: string;
}

export function moneyAmount(currency: string, amount: string): MoneyAmount {
  return Object.assign(new MoneyAmount(), { currency, amount });
}

/** A page of deals of both kinds: a board's column holds referral opportunities or opportunities, by its pipeline. */
@ObjectType({ description: "A page of deals: ReferralOpportunity nodes in the REFERRAL pipeline, Opportunity nodes in SALES." })
export class PipelineDealConnection extends ConnectionType(PipelineDeal as unknown as ClassType<PipelineDeal>, "PipelineDeal") {}

/** What a column counts and sums, over every deal of it that the filter keeps (not only those listed). */
export interface ColumnSummary {
  count: number;
  totalValue: MoneyAmount[];
  weightedValue: MoneyAmount[];
}

/**
 * The operation cost of a column's sums: a list of a few currencies, not of the ten items any
 * list is assumed to hold, since the board multiplies its whole selection by dealsPerStage.
 */
const FEW_CURRENCIES = ({ childComplexity }: { childComplexity: number }) => 1 + childComplexity;

@ObjectType({ description: "One stage of a pipeline board: its deals, how many there are and what they are worth." })
export class PipelineColumn {
  @Field(() => Stage, { description: "The stage." })
  stage: Stage;

  @Field(() => PipelineDealConnection, {
    description:
      "The stage's deals, newest first (best matches first with filter.search), as the deal lists order them. " +
      "To see more of this column, pass pageInfo.endCursor as `after` to pipelineColumn with the same filter.",
  })
  deals: Page<PipelineDeal>;

  /** Read once, when the first of count, totalValue and weightedValue is asked for. */
  summary: () => Promise<ColumnSummary>;

  @Field(() => Int, { description: "How many of the stage's deals you can see match the filter; the same as deals.totalCount." })
  async count(): Promise<number> {
    return (await this.summary()).count;
  }

  @Field(() => [MoneyAmount], {
    description: "The sum of those deals' values, per currency, by currency code; deals without a value add nothing. [] when none has one.",
    complexity: FEW_CURRENCIES,
  })
  async totalValue(): Promise<MoneyAmount[]> {
    return (await this.summary()).totalValue;
  }

  @Field(() => [MoneyAmount], {
    description:
      "The sum of value × probability / 100 per currency: an opportunity's own probability, a referral opportunity's stage's " +
      "probability (referrals have none of their own). Exact, not rounded.",
    complexity: FEW_CURRENCIES,
  })
  async weightedValue(): Promise<MoneyAmount[]> {
    return (await this.summary()).weightedValue;
  }
}

@ObjectType({ description: "A pipeline as a Kanban board: a column per stage, in the pipeline's order." })
export class PipelineBoard {
  @Field(() => Pipeline, { description: "The pipeline drawn." })
  pipeline: Pipeline;

  @Field(() => [PipelineColumn], { description: "One column per stage of the pipeline, in order, empty stages included." })
  columns: PipelineColumn[];
}

@ObjectType({ description: "One month or quarter of a forecast (UTC): what is expected to close in it, and what was won in it." })
export class ForecastPeriod {
  @Field({ description: "The period's first instant." })
  startsAt: Date;

  @Field({ description: "The first instant after the period." })
  endsAt: Date;

  @Field({ description: "The period's name: 2026-03 for a month, 2026-Q1 for a quarter." })
  label: string;

  @Field(() => Int, { description: "Open deals (not closed, not archived) whose expected close date falls in the period." })
  openCount: number;

  @Field(() => [MoneyAmount], { description: "Their values summed per currency; [] when none has a value." })
  openValue: MoneyAmount[];

  @Field(() => [MoneyAmount], {
    description: "Their values × probability / 100 summed per currency (the deal's own probability, else its stage's), as on the board.",
  })
  weightedValue: MoneyAmount[];

  @Field(() => Int, { description: "Deals closed as won (in a won stage now, not archived) whose closedAt falls in the period." })
  wonCount: number;

  @Field(() => [MoneyAmount], { description: "Their values summed per currency; [] when none has a value." })
  wonValue: MoneyAmount[];
}

@ObjectType({ description: "A pipeline's forecast: every period of the window, in order, empty ones included." })
export class PipelineForecast {
  @Field(() => Pipeline, { description: "The pipeline forecast." })
  pipeline: Pipeline;

  @Field(() => ForecastGrouping, { description: "Months or quarters." })
  groupBy: ForecastGrouping;

  @Field(() => [ForecastPeriod], { description: "From the period containing from to the one containing the last instant before to." })
  periods: ForecastPeriod[];
}

@ObjectType({ description: "How deals went through one stage in a window, from their stage history." })
export class StageFlow {
  @Field(() => Stage, { description: "The stage." })
  stage: Stage;

  @Field(() => Int, { description: "Deals that entered the stage in the window, by a move or by being created in it." })
  entered: number;

  @Field(() => Int, { description: "Deals that left the stage in the window for a later stage (a higher sortOrder)." })
  leftForward: number;

  @Field(() => Int, { description: "Deals that left the stage in the window for an earlier stage (a lower sortOrder)." })
  leftBackward: number;

  @Field(() => Float, {
    nullable: true,
    description: "The median time spent in the stage, in seconds, over the stays that ended in the window (interpolated); null when none did.",
  })
  medianSeconds: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "The 90th percentile of the same stays, in seconds (interpolated); null when none ended in the window.",
  })
  p90Seconds: number | null;
}

@ObjectType({ description: "How deals moved through a pipeline's stages in a window." })
export class PipelineFlow {
  @Field(() => Pipeline, { description: "The pipeline." })
  pipeline: Pipeline;

  @Field({ description: "The window's first instant." })
  from: Date;

  @Field({ description: "The end of the window, not part of it." })
  to: Date;

  @Field(() => [StageFlow], { description: "One entry per stage of the pipeline, in order." })
  stages: StageFlow[];
}
