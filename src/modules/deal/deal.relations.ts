import { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { Relations } from "../../core/loaders/related";

/*
 * The relations a read of deals (a list page, deals by id) brings in its own statement, by the
 * columns of the deal row (alias `deal`) that name them: see core/loaders/related.ts.
 */

/** What every deal names besides its kind's own: its workspace and stage. */
const EVERY_DEAL = { workspace: ["workspace_id"], stage: ["stage_id"] };

export const REFERRAL_RELATIONS: Relations = {
  ...EVERY_DEAL,
  person: ["seeker_id", "provider_id", "connector_id", "owner_id"],
  product: ["product_id"],
  facilitators: true,
};

export const OPPORTUNITY_RELATIONS: Relations = {
  ...EVERY_DEAL,
  person: ["primary_contact_id", "owner_id"],
  company: ["customer_id"],
  site: ["site_id"],
};

/** A deal of either kind (read by id): the other kind's columns are NULL and name nothing. */
export const ANY_DEAL_RELATIONS: Relations = {
  ...EVERY_DEAL,
  person: [...new Set([...REFERRAL_RELATIONS.person!, ...OPPORTUNITY_RELATIONS.person!])],
  company: OPPORTUNITY_RELATIONS.company,
  product: REFERRAL_RELATIONS.product,
  site: OPPORTUNITY_RELATIONS.site,
  facilitators: true,
};

/** The columns of the deal row a read leaves out: only the create's idempotency check reads them. */
const UNREAD_DEAL_COLUMNS = new Set(["idempotencyKey", "idempotencyFingerprint"]);

/** Narrows the deal row (alias `deal`; of either kind for PipelineDeal) to the columns a read uses. */
export function selectDealColumns<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
  const metadata = qb.expressionMap.mainAlias!.metadata;
  const columns = [metadata, ...metadata.childEntityMetadatas]
    .flatMap((entity) => entity.columns)
    .filter((column, i, all) => !UNREAD_DEAL_COLUMNS.has(column.propertyName) && all.findIndex((other) => other.databaseName === column.databaseName) === i);
  return qb.select(columns.map((column) => `deal.${column.propertyPath}`));
}

