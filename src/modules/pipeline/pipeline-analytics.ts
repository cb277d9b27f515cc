import type { Context } from "../../core/context/context";
import { InputError } from "../../core/errors/errors";
import { visibleToMembersOf } from "../deal/visibility";
import { Pipeline, Stage } from "../stage/stage.entity";
import { stagesOf } from "../stage/stage.service";
import { ForecastGrouping } from "./pipeline.inputs";
import { ForecastPeriod, moneyAmount, PipelineFlow, PipelineForecast, StageFlow } from "./pipeline.types";

/** The longest window an analysis takes: 121 months or 41 quarters at most. */
export const MAX_WINDOW_YEARS = 10;

/** What is wrong with a window [from, to), as field errors on `to`; [] when nothing is. */
export function windowProblems(from: Date, to: Date): Array<{ path: string; message: string; constraint: string }> {
  if (to.getTime() < from.getTime()) return [{ path: "to", message: "to must not be before from", constraint: "isNotBeforeFrom" }];
  const latest = new Date(from);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_WINDOW_YEARS);
  if (to.getTime() > latest.getTime()) {
    return [{ path: "to", message: `to must be at most ${MAX_WINDOW_YEARS} years after from`, constraint: "isWithinYearsOfFrom" }];
  }
  return [];
}

function checkWindow(from: Date, to: Date): void {
  const problems = windowProblems(from, to);
  if (problems.length > 0) throw new InputError(problems);
}

const PERIOD = {
  [ForecastGrouping.MONTH]: { step: "1 month", label: "YYYY-MM" },
  [ForecastGrouping.QUARTER]: { step: "3 months", label: 'YYYY-"Q"Q' },
};

interface ForecastRow {
  starts_at: Date;
  ends_at: Date;
  label: string;
  measure: "open" | "won" | null;
  currency: string | null;
  period_count: string | null;
  total: string | null;
  weighted: string | null;
}

interface FlowRow {
  stage_id: string;
  entered: string;
  left_forward: string;
  left_backward: string;
  median_seconds: number | null;
  p90_seconds: number | null;
}

/**
 * The forecast and the flow of a pipeline, each one statement after the stages are read (the
 * stages' ids, probabilities, won flags and order go in as arrays, so the SQL reads stages only
 * through stagesOf). Counts and sums are the database's; the code only shapes its rows.
 */
export const pipelineAnalyticsService = {
  /**
   * Open deals (not closed, not archived) by the period of their expected close date, and deals
   * won (in a won stage, not archived) by the period of their closedAt. Periods are whole UTC
   * months or quarters, from the one containing `from` to the one containing the last instant
   * before `to` (the one containing `from` when they are equal). Referral opportunities have no
   * expected close date of their own, so the REFERRAL pipeline's open side counts only those
   * that have one (none, as the API writes them); its won side counts as SALES's does.
   */
  async forecast(ctx: Context, pipeline: Pipeline, from: Date, to: Date, groupBy: ForecastGrouping): Promise<PipelineForecast> {
    checkWindow(from, to);
    const stages = await stagesOf(ctx, pipeline);
    const { step, label } = PERIOD[groupBy];
    const rows: ForecastRow[] = await ctx.db.query(
      `WITH period AS (
         SELECT start AT TIME ZONE 'UTC' AS starts_at, (start + $3::interval) AT TIME ZONE 'UTC' AS ends_at, to_char(start, $5) AS label
           FROM generate_series(
                  date_trunc($4, $1::timestamptz AT TIME ZONE 'UTC'),
                  date_trunc($4, greatest($1::timestamptz, $2::timestamptz - interval '1 microsecond') AT TIME ZONE 'UTC'),
                  $3::interval) AS start
       ),
       stage_probability AS (SELECT * FROM unnest($6::uuid[], $7::integer[]) AS stage_probability (id, probability)),
       visible_deal AS (
         SELECT deal.* FROM pipeline_deal deal
          WHERE deal.organization_id = $9 AND deal.stage_id = ANY($6::uuid[]) AND deal.archived_at IS NULL
            AND ${visibleToMembersOf("deal", "$10::uuid[]")}
       ),
       measure AS (
         SELECT 'open' AS measure, period.starts_at, deal.currency, count(*) AS deals, sum(deal.value) AS total,
                sum(deal.value * coalesce(deal.probability, stage_probability.probability)) * 0.01 AS weighted
           FROM period
           JOIN visible_deal deal ON deal.expected_close_date >= period.starts_at AND deal.expected_close_date < period.ends_at
           JOIN stage_probability ON stage_probability.id = deal.stage_id
          WHERE deal.closed_at IS NULL
          GROUP BY period.starts_at, deal.currency
         UNION ALL
         SELECT 'won', period.starts_at, deal.currency, count(*), sum(deal.value), NULL
           FROM period
           JOIN visible_deal deal ON deal.closed_at >= period.starts_at AND deal.closed_at < period.ends_at
          WHERE deal.stage_id = ANY($8::uuid[])
          GROUP BY period.starts_at, deal.currency
       )
       SELECT period.starts_at, period.ends_at, period.label, measure.measure, measure.currency, measure.total, measure.weighted,
              sum(measure.deals) OVER (PARTITION BY period.starts_at, measure.measure) AS period_count
         FROM period LEFT JOIN measure ON measure.starts_at = period.starts_at
        ORDER BY period.starts_at, measure.measure, measure.currency`,
      [
        from,
        to,
        step,
        groupBy,
        label,
        stages.map((stage) => stage.id),
        stages.map((stage) => stage.probability),
        stages.filter((stage) => stage.isWon).map((stage) => stage.id),
        ctx.viewer.organizationId,
        ctx.viewer.workspaceIds,
      ],
    );
    const periods: ForecastPeriod[] = [];
    for (const row of rows) {
      let period = periods[periods.length - 1];
      if (period?.startsAt.getTime() !== row.starts_at.getTime()) {
        period = Object.assign(new ForecastPeriod(), {
          startsAt: row.starts_at,
          endsAt: row.ends_at,
          label: row.label,
          openCount: 0,
          openValue: [],
          weightedValue: [],
          wonCount: 0,
          wonValue: [],
        });
        periods.push(period);
      }
      if (row.measure === "open") {
        period.openCount = Number(row.period_count);
        if (row.total !== null) period.openValue.push(moneyAmount(row.currency!, row.total));
        if (row.weighted !== null) period.weightedValue.push(moneyAmount(row.currency!, row.weighted));
      } else if (row.measure === "won") {
        period.wonCount = Number(row.period_count);
        if (row.total !== null) period.wonValue.push(moneyAmount(row.currency!, row.total));
      }
    }
    return Object.assign(new PipelineForecast(), { pipeline, groupBy, periods });
  },

  /**
   * Per stage, from the stage history of the deals the viewer may see (archived ones included:
   * their history happened): entries into it in [from, to) (creations included), departures in
   * the window forward (to a higher sortOrder) or backward, and the median and 90th percentile
   * of the stays that ended in the window. A stay runs from the change that entered the stage
   * to the next change of the deal, as stageHistory's secondsInFromStage measures it.
   */
  async flow(ctx: Context, pipeline: Pipeline, from: Date, to: Date): Promise<PipelineFlow> {
    checkWindow(from, to);
    const stages = await stagesOf(ctx, pipeline);
    const rows: FlowRow[] = await ctx.db.query(
      `WITH stage_order AS (SELECT * FROM unnest($1::uuid[], $2::integer[]) AS stage_order (id, sort_order)),
       change AS (
         SELECT change.from_stage_id, change.to_stage_id, change.changed_at,
                extract(epoch FROM change.changed_at - lag(change.changed_at)
                  OVER (PARTITION BY change.deal_id ORDER BY change.changed_at, change.id))::float8 AS seconds_in_from_stage
           FROM deal_stage_change change
           JOIN pipeline_deal deal ON deal.organization_id = change.organization_id AND deal.id = change.deal_id
          WHERE change.organization_id = $3 AND deal.stage_id = ANY($1::uuid[]) AND change.changed_at < $6
            AND ${visibleToMembersOf("deal", "$4::uuid[]")}
       ),
       passage AS (
         SELECT change.to_stage_id AS stage_id, 'entered' AS kind, NULL::float8 AS seconds
           FROM change WHERE change.changed_at >= $5
         UNION ALL
         SELECT change.from_stage_id,
                CASE WHEN to_stage.sort_order > from_stage.sort_order THEN 'forward' ELSE 'backward' END,
                change.seconds_in_from_stage
           FROM change
           JOIN stage_order from_stage ON from_stage.id = change.from_stage_id
           JOIN stage_order to_stage ON to_stage.id = change.to_stage_id
          WHERE change.changed_at >= $5
       )
       SELECT stage_order.id AS stage_id,
              count(*) FILTER (WHERE passage.kind = 'entered') AS entered,
              count(*) FILTER (WHERE passage.kind = 'forward') AS left_forward,
              count(*) FILTER (WHERE passage.kind = 'backward') AS left_backward,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY passage.seconds) FILTER (WHERE passage.kind <> 'entered') AS median_seconds,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY passage.seconds) FILTER (WHERE passage.kind <> 'entered') AS p90_seconds
         FROM stage_order LEFT JOIN passage ON passage.stage_id = stage_order.id
        GROUP BY stage_order.id, stage_order.sort_order
        ORDER BY stage_order.sort_order`,
      [stages.map((stage) => stage.id), stages.map((stage) => stage.sortOrder), ctx.viewer.organizationId, ctx.viewer.workspaceIds, from, to],
    );
    const byStage = new Map(rows.map((row) => [row.stage_id, row]));
    return Object.assign(new PipelineFlow(), {
      pipeline,
      from,
      to,
      stages: stages.map((stage) => stageFlow(stage, byStage.get(stage.id)!)),
    });
  },
};

function stageFlow(stage: Stage, row: FlowRow): StageFlow {
  return Object.assign(new StageFlow(), {
    stage,
    entered: Number(row.entered),
    leftForward: Number(row.left_forward),
    leftBackward: Number(row.left_backward),
    medianSeconds: row.median_seconds,
    p90Seconds: row.p90_seconds,
  });
}
