import { Arg, Args, Ctx, ID, Query, Resolver } from "type-graphql";
import type { Context } from "../../core/context/context";
import { PageArgs } from "../../core/pagination/connection";
import { pipelineAnalyticsService } from "./pipeline-analytics";
import { pipelineBoardService } from "./pipeline-board";
import { MAX_DEALS_PER_STAGE, PipelineBoardArgs, PipelineBoardFilter, PipelineForecastArgs, PipelineWindowArgs } from "./pipeline.inputs";
import { PipelineBoard, PipelineColumn, PipelineFlow, PipelineForecast } from "./pipeline.types";

const clamp = (value: number, min: number, max: number) => (Number.isFinite(value) ? Math.min(Math.max(value, min), max) : min);

const FILTER_DESCRIPTION = "Narrows the deals counted, summed and listed; left out, every deal you can see except archived ones.";

@Resolver()
export class PipelineResolver {
  @Query(() => PipelineBoard, {
    description:
      "A pipeline as a Kanban board in one request: per stage, in order, its count and values and its first deals " +
      "(newest first; best matches first with filter.search). pipelineColumn pages on through one column. Three SQL statements " +
      "whatever the number of stages and deals (the stages, every column's sums, every column's first deals); the cards' " +
      "relations add one statement each, as on a list.",
    // Counted as dealsPerStage times its selection (columns count as any list of objects), as a list
    // counts `first` times; a dealsPerStage out of range is the argument's error, not the cost's.
    complexity: ({ args, childComplexity }) => 1 + clamp(Number(args.dealsPerStage), 1, MAX_DEALS_PER_STAGE) * childComplexity,
  })
  pipelineBoard(
    @Args() { pipeline, dealsPerStage }: PipelineBoardArgs,
    @Arg("filter", () => PipelineBoardFilter, { nullable: true, description: FILTER_DESCRIPTION }) filter: PipelineBoardFilter | undefined,
    @Ctx() ctx: Context,
  ): Promise<PipelineBoard> {
    return pipelineBoardService.board(ctx, pipeline, filter ?? null, dealsPerStage);
  }

  @Query(() => PipelineColumn, {
    nullable: true,
    description:
      "One column of a pipeline board, paged: pass a column's deals.pageInfo.endCursor as `after`, with the board's filter, " +
      "for its next deals. Null, with a NOT_FOUND error, when stageId names no stage of yours.",
  })
  pipelineColumn(
    @Arg("stageId", () => ID, { description: "The column's stage (stage { id } on the board)." }) stageId: string,
    @Arg("filter", () => PipelineBoardFilter, { nullable: true, description: FILTER_DESCRIPTION }) filter: PipelineBoardFilter | undefined,
    @Args() page: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<PipelineColumn> {
    return pipelineBoardService.column(ctx, stageId, filter ?? null, page);
  }

  @Query(() => PipelineForecast, {
    description:
      "Open deals by the month or quarter of their expected close date, with count, value and weighted value per currency, " +
      "and the value won in each period (by closedAt). Every period of the window is listed, empty ones included. Only " +
      "opportunities have an expected close date: a REFERRAL forecast counts open referral opportunities only when they have one.",
  })
  pipelineForecast(@Args() { pipeline, from, to, groupBy }: PipelineForecastArgs, @Ctx() ctx: Context): Promise<PipelineForecast> {
    return pipelineAnalyticsService.forecast(ctx, pipeline, from, to, groupBy);
  }

  @Query(() => PipelineFlow, {
    description:
      "How deals moved through each stage in [from, to), from their stage history: entries, departures forward and " +
      "backward, and the median and 90th percentile of the time spent in the stage by the stays that ended in the window.",
  })
  pipelineFlow(@Args() { pipeline, from, to }: PipelineWindowArgs, @Ctx() ctx: Context): Promise<PipelineFlow> {
    return pipelineAnalyticsService.flow(ctx, pipeline, from, to);
  }
}
