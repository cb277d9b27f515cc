import { Context } from "../../core/context/context";
import { primeRelated, relatedSql } from "../../core/loaders/related";
import { OrderDirection, Page, PageArgs, paginate, SortKey } from "../../core/pagination/connection";
import { keptCount, searchRelevance, whereDealListFilter } from "../deal/deal.filters";
import { REFERRAL_RELATIONS, selectDealColumns } from "../deal/deal.relations";
import { whereVisibleTo } from "../deal/visibility";
import { ReferralOpportunity } from "./referral-opportunity.entity";
import { ReferralOpportunityFilter, ReferralOpportunityOrder, ReferralOpportunityOrderField } from "./referral.inputs";

const SORT_KEYS: Record<ReferralOpportunityOrderField, SortKey> = {
  [ReferralOpportunityOrderField.CREATED_AT]: { name: "createdAt", expression: "deal.created_at", type: "timestamptz" },
  [ReferralOpportunityOrderField.NAME]: { name: "name", expression: "lower(deal.name)", type: "text" },
  // Values are never negative, so -1 puts deals without one below every amount.
  [ReferralOpportunityOrderField.EXPECTED_VALUE]: {
    name: "expectedValue",
    expression: "coalesce(deal.value, -1)",
    type: "numeric",
  },
};

export const referralService = {
  async list(
    { db, viewer, loaders }: Context,
    page: PageArgs,
    given: ReferralOpportunityFilter | null = {},
    order?: ReferralOpportunityOrder,
    withCount = false,
  ): Promise<Page<ReferralOpportunity>> {
    const filter = given ?? {}; // filter: null means no filter
    // The child entity's query builder adds kind = 'referral' by itself.
    const qb = whereDealListFilter(whereVisibleTo(db.getRepository(ReferralOpportunity).createQueryBuilder("deal"), "deal", viewer), filter);
    if (filter.stageId) qb.andWhere("deal.stage_id = :stageId", { stageId: filter.stageId });
    if (filter.seekerId) qb.andWhere("deal.seeker_id = :seekerId", { seekerId: filter.seekerId });
    if (filter.providerId) qb.andWhere("deal.provider_id = :providerId", { providerId: filter.providerId });
    if (filter.connectorId) qb.andWhere("deal.connector_id = :connectorId", { connectorId: filter.connectorId });
    if (filter.createdAfter) qb.andWhere("deal.created_at >= :createdAfter", { createdAfter: filter.createdAfter });
    if (filter.createdBefore) qb.andWhere("deal.created_at < :createdBefore", { createdBefore: filter.createdBefore });
    // An orderBy given wins; a search without one lists the best matches first.
    const sort = order ? SORT_KEYS[order.field] : (searchRelevance(filter) ?? SORT_KEYS[ReferralOpportunityOrderField.CREATED_AT]);
    // The page's statement brings the parties, owner, workspace, stage and product (see deal.relations.ts).
    return paginate(db, selectDealColumns(qb), page, sort, order?.direction ?? OrderDirection.DESC, {
      withCount,
      count: keptCount(db, viewer, ReferralOpportunity, filter),
      // A search's trigram LIKE is planned for its words each time; any other list keeps its plan.
      prepare: searchRelevance(filter) === null,
      related: { sql: relatedSql(db.connection, REFERRAL_RELATIONS, "deal"), use: (related, ids) => primeRelated(loaders, db.connection, related, ids) },
    });
  },
};

