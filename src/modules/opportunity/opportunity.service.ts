import { Context } from "../../core/context/context";
import { primeRelated, relatedSql } from "../../core/loaders/related";
import { OrderDirection, PageArgs, paginate, SortKey } from "../../core/pagination/connection";
import { keptCount, searchRelevance, whereDealListFilter } from "../deal/deal.filters";
import { OPPORTUNITY_RELATIONS, selectDealColumns } from "../deal/deal.relations";
import { whereVisibleTo } from "../deal/visibility";
import { Opportunity } from "./opportunity.entity";
import { OpportunityFilter, OpportunityOrder, OpportunityOrderField } from "./opportunity.inputs";

/**
 * Each ordering as a never-NULL expression (keyset pagination compares row values): missing
 * close dates sort as the far future, missing values below zero.
 */
const SORT_KEYS: Record<OpportunityOrderField, SortKey> = {
  [OpportunityOrderField.CREATED_AT]: { name: "createdAt", expression: "deal.created_at", type: "timestamptz" },
  [OpportunityOrderField.EXPECTED_CLOSE_DATE]: {
    name: "expectedCloseDate",
    expression: "coalesce(deal.expected_close_date, '9999-12-31T00:00:00Z'::timestamptz)",
    type: "timestamptz",
  },
  [OpportunityOrderField.ESTIMATED_VALUE]: { name: "estimatedValue", expression: "coalesce(deal.value, -1)", type: "numeric" },
  [OpportunityOrderField.TITLE]: { name: "title", expression: "lower(deal.name)", type: "text" },
};

export const opportunityService = {
  /** The opportunities the viewer may see, filtered and ordered; the visibility rule is part of the SQL. */
  list({ db, viewer, loaders }: Context, page: PageArgs, given: OpportunityFilter | null = {}, order?: OpportunityOrder, withCount = false) {
    const filter = given ?? {}; // filter: null means no filter
    const qb = whereDealListFilter(whereVisibleTo(db.getRepository(Opportunity).createQueryBuilder("deal"), "deal", viewer), filter);
    if (filter.stage) {
      qb.andWhere("deal.stage_id = (SELECT stage.id FROM stage WHERE stage.organization_id = deal.organization_id AND stage.pipeline = 'sales' AND stage.key = :stageKey)", {
        stageKey: filter.stage,
      });
    }
    if (filter.pipelineType) qb.andWhere("deal.pipeline_type = :pipelineType", { pipelineType: filter.pipelineType });
    if (filter.priority) qb.andWhere("deal.priority = :priority", { priority: filter.priority });
    if (filter.customerId) qb.andWhere("deal.customer_id = :customerId", { customerId: filter.customerId });
    if (filter.ownerId) qb.andWhere("deal.owner_id = :ownerId", { ownerId: filter.ownerId });
    if (filter.workspaceId) qb.andWhere("deal.workspace_id = :workspaceId", { workspaceId: filter.workspaceId });
    if (filter.expectedCloseAfter) {
      qb.andWhere("deal.expected_close_date >= :expectedCloseAfter", { expectedCloseAfter: filter.expectedCloseAfter });
    }
    if (filter.expectedCloseBefore) {
      qb.andWhere("deal.expected_close_date < :expectedCloseBefore", { expectedCloseBefore: filter.expectedCloseBefore });
    }
    // An orderBy given wins; a search without one lists the best matches first.
    const sort = order ? SORT_KEYS[order.field] : (searchRelevance(filter) ?? SORT_KEYS[OpportunityOrderField.CREATED_AT]);
    // The page's statement brings the customer, contact, site, owner, workspace and stage (see deal.relations.ts).
    return paginate(db, selectDealColumns(qb), page, sort, order?.direction ?? OrderDirection.DESC, {
      withCount,
      count: keptCount(db, viewer, Opportunity, filter),
      // A search's trigram LIKE is planned for its words each time; any other list keeps its plan.
      prepare: searchRelevance(filter) === null,
      related: { sql: relatedSql(db.connection, OPPORTUNITY_RELATIONS, "deal"), use: (related, ids) => primeRelated(loaders, db.connection, related, ids) },
    });
  },
};

