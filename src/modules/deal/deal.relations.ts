import { DataSource, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { Loaders } from "../../core/loaders/loaders";
import { entityFromJsonArray } from "../../core/db/hydrate";
import { Company } from "../company/company.entity";
import { Person } from "../person/person.entity";
import { Product } from "../product/product.entity";
import { Site } from "../site/site.entity";
import { Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";

/**
 * The to-one relations of deals that a read of deals (a list page, deals by id) brings in its
 * own statement, to prime the per-request loaders with: its fields then resolve from them
 * without a statement of their own, and the loaders stay the way every relation is read.
 *
 * Each kind of row (people, companies, …) comes once, however many deals name it, as one JSON
 * value computed over the deals' rows (the CTE `main` of selectWithExtras, raw column names
 * `deal_…`). Measured against the alternatives on the bench's data set: a dozen LEFT JOINs cost
 * PostgreSQL ten times more to plan than to run and repeat every person on every row; a
 * subquery per relation and row costs five times more to run.
 */
export interface DealRelations {
  /** Deal columns naming people: each comes with their employer. */
  person: string[];
  /** Deal columns naming companies. */
  company: string[];
  product: string[];
  site: string[];
}

/** Every deal's owner (with employer), workspace and stage come too. */
export const REFERRAL_RELATIONS: DealRelations = {
  person: ["seeker_id", "provider_id", "connector_id", "owner_id"],
  company: [],
  product: ["product_id"],
  site: [],
};

export const OPPORTUNITY_RELATIONS: DealRelations = {
  person: ["primary_contact_id", "owner_id"],
  company: ["customer_id"],
  product: [],
  site: ["site_id"],
};

/** A deal of either kind (read by id): the other kind's columns are NULL and name nothing. */
export const ANY_DEAL_RELATIONS: DealRelations = {
  person: [...new Set([...REFERRAL_RELATIONS.person, ...OPPORTUNITY_RELATIONS.person])],
  company: OPPORTUNITY_RELATIONS.company,
  product: REFERRAL_RELATIONS.product,
  site: OPPORTUNITY_RELATIONS.site,
};

const ENTITIES = { person: Person, company: Company, product: Product, site: Site, workspace: Workspace, stage: Stage };
type Primed = keyof typeof ENTITIES;

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

/**
 * SQL of one JSON object over the deals in `main`: for each loader, the rows `relations` name as
 * arrays of their columns (every column: a primed entity must be whole). People's employers
 * come with the companies. Every row by its organization and id, the primary key.
 */
export function relatedSql(connection: DataSource, relations: DealRelations): string {
  const keys = (columns: string[]) => columns.map((column) => `SELECT deal_organization_id, deal_${column} FROM main`).join(" UNION ALL ");
  const people = keys(relations.person);
  const companies = [
    ...(people ? [`SELECT organization_id, company_id FROM person WHERE (organization_id, id) IN (${people})`] : []),
    ...(relations.company.length ? [keys(relations.company)] : []),
  ].join(" UNION ALL ");
  const where: Record<Primed, string> = {
    person: `(r.organization_id, r.id) IN (${people})`,
    company: `(r.organization_id, r.id) IN (${companies})`,
    product: `(r.organization_id, r.id) IN (${keys(relations.product)})`,
    site: `(r.organization_id, r.id) IN (${keys(relations.site)})`,
    workspace: `(r.organization_id, r.id) IN (${keys(["workspace_id"])})`,
    stage: `(r.organization_id, r.id) IN (${keys(["stage_id"])})`,
  };
  const wanted = (Object.keys(ENTITIES) as Primed[]).filter((name) => !/IN \(\)$/.test(where[name]));
  const parts = wanted.map((name) => {
    const metadata = connection.getMetadata(ENTITIES[name]);
    const columns = metadata.columns.map((column) => `r.${column.databaseName}`).join(", ");
    return `'${name}', (SELECT json_agg(json_build_array(${columns})) FROM ${metadata.tablePath} r WHERE ${where[name]})`;
  });
  return `json_build_object(${parts.join(", ")})`;
}

/** Primes the loaders with the rows of a `relatedSql` value. */
export function primeRelated(loaders: Pick<Loaders, Primed>, connection: DataSource, related: unknown): void {
  for (const [name, rows] of Object.entries((related ?? {}) as Record<Primed, unknown[][] | null>)) {
    const metadata = connection.getMetadata(ENTITIES[name as Primed]);
    const loader = loaders[name as Primed] as { prime(id: string, value: unknown): void };
    for (const values of rows ?? []) {
      const found = entityFromJsonArray<{ id: string }>(metadata, values);
      loader.prime(found.id, found);
    }
  }
}
