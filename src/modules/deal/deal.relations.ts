import { DataSource, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { Loaders } from "../../core/loaders/loaders";
import { entityFromJsonArray } from "../../core/db/hydrate";
import { Company } from "../company/company.entity";
import { Person } from "../person/person.entity";
import { Product } from "../product/product.entity";
import { Site } from "../site/site.entity";
import { Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { byFacilitatorOrder, Facilitator } from "./facilitator.entity";

/**
 * The relations of deals that a read of deals (a list page, deals by id) brings in its own
 * statement, to prime the per-request loaders with: their fields then resolve from them without
 * a statement of their own, and the loaders stay the way every relation is read.
 *
 * Each kind of row (people, companies, …) comes once, however many deals name it, as one JSON
 * value computed over the deals' rows (the CTE `main` of selectWithExtras, raw column names
 * `deal_…`). Every row is looked up by its primary key, one index probe per distinct key (a
 * LATERAL subquery with LIMIT 1 that the planner cannot turn into a hash join over the whole
 * table). Measured against the alternatives on the bench's data set: a dozen LEFT JOINs cost
 * PostgreSQL ten times more to plan than to run and repeat every person on every row; a
 * subquery per relation and row costs five times more to run; `IN (keys)` let the planner
 * choose a sequential scan of every person and company of the organization for a page of 100
 * deals (2.9 and 2.6 ms, against 1.7 and 1.8 ms for the probes).
 */
export interface DealRelations {
  /** Deal columns naming people: each comes with their employer. */
  person: string[];
  /** Deal columns naming companies. */
  company: string[];
  product: string[];
  site: string[];
  /** The deals' facilitators (to-many), with the people they name and those people's employers. */
  facilitators: boolean;
}

/** Every deal's owner (with employer), workspace and stage come too. */
export const REFERRAL_RELATIONS: DealRelations = {
  person: ["seeker_id", "provider_id", "connector_id", "owner_id"],
  company: [],
  product: ["product_id"],
  site: [],
  facilitators: true,
};

export const OPPORTUNITY_RELATIONS: DealRelations = {
  person: ["primary_contact_id", "owner_id"],
  company: ["customer_id"],
  product: [],
  site: ["site_id"],
  facilitators: false,
};

/** A deal of either kind (read by id): the other kind's columns are NULL and name nothing. */
export const ANY_DEAL_RELATIONS: DealRelations = {
  person: [...new Set([...REFERRAL_RELATIONS.person, ...OPPORTUNITY_RELATIONS.person])],
  company: OPPORTUNITY_RELATIONS.company,
  product: REFERRAL_RELATIONS.product,
  site: OPPORTUNITY_RELATIONS.site,
  facilitators: true,
};

const ENTITIES = { person: Person, company: Company, product: Product, site: Site, workspace: Workspace, stage: Stage, facilitator: Facilitator };
type Primed = Exclude<keyof typeof ENTITIES, "facilitator">;

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
 * arrays of their columns (every column: a primed entity must be whole), each row once. People's
 * employers come with the companies; facilitators with their people and employers.
 */
export function relatedSql(connection: DataSource, relations: DealRelations): string {
  const columns = (entity: Primed | "facilitator") =>
    connection
      .getMetadata(ENTITIES[entity])
      .columns.map((column) => `r.${column.databaseName}`)
      .join(", ");
  const table = (entity: Primed | "facilitator") => connection.getMetadata(ENTITIES[entity]).tablePath;
  /** Keys (organization_id, id) from deal columns: one row per deal and column. */
  const dealKeys = (names: string[]) =>
    names.length === 0
      ? []
      : [`SELECT main.deal_organization_id, key.id FROM main CROSS JOIN LATERAL (VALUES ${names.map((name) => `(main.deal_${name})`).join(", ")}) AS key(id)`];
  /** The rows of `entity` that `keys` name, each once, each by an index probe of its primary key. */
  const rowsOf = (entity: Primed, keys: string[]) =>
    `SELECT ${columns(entity)} FROM (SELECT DISTINCT organization_id, id FROM (${keys.join(" UNION ALL ")}) AS k(organization_id, id) WHERE id IS NOT NULL) AS k ` +
    `CROSS JOIN LATERAL (SELECT * FROM ${table(entity)} r WHERE r.organization_id = k.organization_id AND r.id = k.id LIMIT 1) AS r`;

  const ctes: string[] = [];
  const personKeys = dealKeys(relations.person);
  const companyKeys = dealKeys(relations.company);
  if (relations.facilitators) {
    // OFFSET 0 keeps the subquery a probe of each deal's facilitators (its unique index leads
    // with organization and deal).
    ctes.push(
      `related_facilitator AS MATERIALIZED (SELECT ${columns("facilitator")} FROM main CROSS JOIN LATERAL ` +
        `(SELECT * FROM ${table("facilitator")} r WHERE r.organization_id = main.deal_organization_id AND r.deal_id = main.deal_id OFFSET 0) AS r)`,
    );
    personKeys.push("SELECT organization_id, person_id FROM related_facilitator");
    companyKeys.push("SELECT organization_id, company_id FROM related_facilitator");
  }
  if (personKeys.length > 0) {
    ctes.push(`related_person AS MATERIALIZED (${rowsOf("person", personKeys)})`);
    companyKeys.push("SELECT organization_id, company_id FROM related_person");
  }
  const parts: Array<[string, string]> = [
    ["person", personKeys.length > 0 ? "related_person r" : ""],
    ["company", companyKeys.length > 0 ? `(${rowsOf("company", companyKeys)}) r` : ""],
    ["product", relations.product.length > 0 ? `(${rowsOf("product", dealKeys(relations.product))}) r` : ""],
    ["site", relations.site.length > 0 ? `(${rowsOf("site", dealKeys(relations.site))}) r` : ""],
    ["workspace", `(${rowsOf("workspace", dealKeys(["workspace_id"]))}) r`],
    ["stage", `(${rowsOf("stage", dealKeys(["stage_id"]))}) r`],
    ["facilitator", relations.facilitators ? "related_facilitator r" : ""],
  ];
  const object = parts
    .filter(([, from]) => from !== "")
    .map(([name, from]) => `'${name}', (SELECT json_agg(json_build_array(${columns(name as Primed | "facilitator")})) FROM ${from})`)
    .join(", ");
  return `(${ctes.length > 0 ? `WITH ${ctes.join(", ")} ` : ""}SELECT json_build_object(${object}))`;
}

/**
 * Primes the loaders with the rows of a `relatedSql` value. With facilitators, every deal of
 * `dealIds` gets its list, an empty one included.
 */
export function primeRelated(loaders: Pick<Loaders, Primed | "facilitatorsByDeal">, connection: DataSource, related: unknown, dealIds: string[]): void {
  const { facilitator: facilitators, ...rest } = (related ?? {}) as Record<Primed | "facilitator", unknown[][] | null>;
  for (const [name, rows] of Object.entries(rest)) {
    const metadata = connection.getMetadata(ENTITIES[name as Primed]);
    const loader = loaders[name as Primed] as { prime(id: string, value: unknown): void };
    for (const values of rows ?? []) {
      const found = entityFromJsonArray<{ id: string }>(metadata, values);
      loader.prime(found.id, found);
    }
  }
  if (facilitators === undefined) return;
  const metadata = connection.getMetadata(Facilitator);
  const byDeal = new Map<string, Facilitator[]>(dealIds.map((id) => [id, []]));
  for (const values of facilitators ?? []) {
    const found = entityFromJsonArray<Facilitator>(metadata, values);
    byDeal.get(found.dealId)?.push(found);
  }
  for (const [dealId, list] of byDeal) loaders.facilitatorsByDeal.prime(dealId, list.sort(byFacilitatorOrder));
}
