import type { Context } from "../../core/context/context";
import { entityFromRaw } from "../../core/db/hydrate";
import { orNotFound } from "../../core/errors/errors";
import { encodeCursor, OrderDirection, Page, PageArgs, paginate, SortKey } from "../../core/pagination/connection";
import { searchRelevance, whereDealListFilter } from "../deal/deal.filters";
import { PipelineDeal } from "../deal/pipeline-deal.entity";
import { whereVisibleTo } from "../deal/visibility";
import { Pipeline, Stage } from "../stage/stage.entity";
import { stagesOf } from "../stage/stage.service";
import { PipelineBoardFilter } from "./pipeline.inputs";
import { ColumnSummary, moneyAmount, PipelineBoard, PipelineColumn } from "./pipeline.types";

/** The deal lists' default order (referralService, opportunityService): newest first. */
const NEWEST_FIRST: SortKey = { name: "createdAt", expression: "deal.created_at", type: "timestamptz" };
const DIRECTION = OrderDirection.DESC;

/**
 * A column's order, the lists' default: the best matches first when the filter searches, else the
 * newest first; ties by id. The same sort key, so a column's cursors continue in pipelineColumn.
 */
function columnOrder(filter: PipelineBoardFilter | null): SortKey {
  return searchRelevance(filter) ?? NEWEST_FIRST;
}

const NO_DEALS: ColumnSummary = { count: 0, totalValue: [], weightedValue: [] };

/**
 * A pipeline as a board. Statements, whatever the number of stages and deals: the stages, then
 * together the sums of every column (one GROUP BY) and the first deals of every column (one
 * LATERAL query). The deals listed are primed in the deal loader, and their stages come primed by
 * stagesOf, so nested fields cost what they cost on a list: one batch per relation.
 */
export const pipelineBoardService = {
  async board(ctx: Context, pipeline: Pipeline, filter: PipelineBoardFilter | null, dealsPerStage: number): Promise<PipelineBoard> {
    const stages = await stagesOf(ctx, pipeline);
    const stageIds = stages.map((stage) => stage.id);
    const [summaries, pages] = await Promise.all([summarize(ctx, stageIds, filter), firstDealsOfEach(ctx, stageIds, filter, dealsPerStage)]);
    const columns = stages.map((stage) => {
      const summary = summaries.get(stage.id) ?? NO_DEALS;
      const deals = pages.get(stage.id) ?? emptyPage();
      deals.count = async () => summary.count;
      return column(stage, deals, async () => summary);
    });
    return { pipeline, columns };
  },

  /**
   * One column, paged like a list: what a board's "more" sends with the column's endCursor as
   * `after`. Its count and sums are read only when asked for.
   */
  async column(ctx: Context, stageId: string, filter: PipelineBoardFilter | null, page: PageArgs): Promise<PipelineColumn> {
    // A deleted stage is in no pipeline any more: no column either.
    const found = await ctx.loaders.stage.load(stageId);
    const stage = orNotFound(found?.deletedAt ? null : found, "Stage", stageId);
    let summary: Promise<ColumnSummary> | undefined;
    const summaryOf = () => (summary ??= summarize(ctx, [stage.id], filter).then((found) => found.get(stage.id) ?? NO_DEALS));
    const deals = await paginate(ctx.db, visibleDealsIn(ctx, [stage.id], filter), page, columnOrder(filter), DIRECTION, {
      eachRow: (deal) => ctx.loaders.deal.prime(deal.id, deal),
    });
    deals.count = async () => (await summaryOf()).count;
    return column(stage, deals, summaryOf);
  },
};

function column(stage: Stage, deals: Page<PipelineDeal>, summary: () => Promise<ColumnSummary>): PipelineColumn {
  return Object.assign(new PipelineColumn(), { stage, deals, summary });
}

function emptyPage(): Page<PipelineDeal> {
  return {
    edges: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    count: async () => 0,
  };
}

/** The deals the viewer may see that the filter keeps (alias `deal`). */
function visibleDeals({ db, viewer }: Context, filter: PipelineBoardFilter | null) {
  const qb = whereDealListFilter(whereVisibleTo(db.getRepository(PipelineDeal).createQueryBuilder("deal"), "deal", viewer), filter);
  if (filter?.ownerId) qb.andWhere("deal.owner_id = :ownerId", { ownerId: filter.ownerId });
  if (filter?.workspaceId) qb.andWhere("deal.workspace_id = :workspaceId", { workspaceId: filter.workspaceId });
  return qb;
}

/** Those of them in the stages `stageIds`. */
function visibleDealsIn(ctx: Context, stageIds: string[], filter: PipelineBoardFilter | null) {
  return visibleDeals(ctx, filter).andWhere("deal.stage_id = ANY(:stageIds)", { stageIds });
}

interface SummaryRow {
  stage_id: string;
  currency: string;
  stage_count: string;
  total: string | null;
  weighted: string | null;
}

/**
 * Count and sums of each stage, in one statement: a row per stage and currency, with the stage's
 * count over all its currencies. Weighted: value × the deal's own probability (opportunities
 * have one), else its stage's; exact (numeric(19,4) × integer × 0.01 keeps every digit).
 */
async function summarize(ctx: Context, stageIds: string[], filter: PipelineBoardFilter | null): Promise<Map<string, ColumnSummary>> {
  const rows = await visibleDealsIn(ctx, stageIds, filter)
    .innerJoin(Stage, "stage", "stage.id = deal.stage_id")
    .select("deal.stage_id", "stage_id")
    .addSelect("deal.currency", "currency")
    .addSelect("sum(count(*)) OVER (PARTITION BY deal.stage_id)", "stage_count")
    .addSelect("sum(deal.value)", "total")
    .addSelect("sum(deal.value * coalesce(deal.probability, stage.probability)) * 0.01", "weighted")
    .groupBy("deal.stage_id")
    .addGroupBy("deal.currency")
    .orderBy("deal.stage_id")
    .addOrderBy("deal.currency")
    .getRawMany<SummaryRow>();
  const summaries = new Map<string, ColumnSummary>();
  for (const row of rows) {
    let summary = summaries.get(row.stage_id);
    if (!summary) summaries.set(row.stage_id, (summary = { count: Number(row.stage_count), totalValue: [], weightedValue: [] }));
    // A currency whose deals all lack a value has no sum.
    if (row.total !== null) summary.totalValue.push(moneyAmount(row.currency, row.total));
    if (row.weighted !== null) summary.weightedValue.push(moneyAmount(row.currency, row.weighted));
  }
  return summaries;
}

/**
 * The first `perStage` deals of every stage in the column order, in one statement: for each
 * stage (LATERAL), the filtered deals of that stage ordered and cut as a page of the list, one
 * more than asked kept to tell whether more follow. A top-N sort per stage keeps only that many
 * rows, where numbering every deal of the pipeline (ROW_NUMBER) sorted them all, whole rows
 * included. Cursors are the ones `paginate` gives out for the same order, so pipelineColumn
 * continues a column from its endCursor.
 */
async function firstDealsOfEach(
  ctx: Context,
  stageIds: string[],
  filter: PipelineBoardFilter | null,
  perStage: number,
): Promise<Map<string, Page<PipelineDeal>>> {
  const sort = columnOrder(filter);
  const pageOfStage = visibleDeals(ctx, filter)
    .andWhere("deal.stage_id = board_stage.id")
    .addSelect(`(${sort.expression})::text`, "cursor_value")
    .addSelect(sort.expression, "sort_value")
    .orderBy(sort.expression, DIRECTION)
    .addOrderBy("deal.id", DIRECTION)
    .limit(perStage + 1);
  const [sql, parameters] = pageOfStage.getQueryAndParameters();
  // Each page in its order again outside the LATERAL, which SQL does not promise to keep.
  const rows: Array<Record<string, unknown>> = await ctx.db.query(
    `SELECT page.* FROM unnest($${parameters.length + 1}::uuid[]) AS board_stage (id) CROSS JOIN LATERAL (${sql}) AS page
      ORDER BY board_stage.id, page.sort_value ${DIRECTION}, page.deal_id ${DIRECTION}`,
    [...parameters, stageIds],
  );
  const pages = new Map<string, Page<PipelineDeal>>();
  for (const row of rows) {
    const deal = entityFromRaw<PipelineDeal>(pageOfStage, row)!;
    let page = pages.get(deal.stageId);
    if (!page) pages.set(deal.stageId, (page = emptyPage()));
    if (page.edges.length === perStage) {
      page.pageInfo.hasNextPage = true;
      continue;
    }
    ctx.loaders.deal.prime(deal.id, deal);
    page.edges.push({ node: deal, cursor: encodeCursor(sort, row.cursor_value as string, deal.id) });
  }
  for (const page of pages.values()) {
    page.pageInfo.startCursor = page.edges[0]?.cursor ?? null;
    page.pageInfo.endCursor = page.edges[page.edges.length - 1]?.cursor ?? null;
  }
  return pages;
}
