import { DataSource } from "typeorm";
import { entityFromJsonArray } from "../db/hydrate";
import type { Extra } from "../db/with-extras";
import { Company } from "../../modules/company/company.entity";
import { byFacilitatorOrder, Facilitator } from "../../modules/deal/facilitator.entity";
import { Person } from "../../modules/person/person.entity";
import { Product } from "../../modules/product/product.entity";
import { Site } from "../../modules/site/site.entity";
import { Stage } from "../../modules/stage/stage.entity";
import { Workspace } from "../../modules/workspace/workspace.entity";
import type { Loaders } from "./loaders";

/**
 * The relations that a read of rows (a list page, deals by id) brings in its own statement, to
 * prime the per-request loaders with: their fields then resolve from them without a statement of
 * their own, and the loaders stay the way every relation is read.
 *
 * Each kind of row (people, companies, …) comes once, however many rows name it, as one JSON
 * value computed over the rows read (the CTE `main` of selectWithExtras, raw column names
 * `<alias>_…`). Every row is looked up by its primary key, one index probe per distinct key (a
 * LATERAL subquery with LIMIT 1 that the planner cannot turn into a hash join over the whole
 * table). Measured against the alternatives on the bench's data set: a dozen LEFT JOINs cost
 * PostgreSQL ten times more to plan than to run and repeat every person on every row; a
 * subquery per relation and row costs five times more to run; `IN (keys)` let the planner
 * choose a sequential scan of every person and company of the organization for a page of 100
 * deals (2.9 and 2.6 ms, against 1.7 and 1.8 ms for the probes).
 *
 * Each list names the columns of its rows that refer to each kind of row.
 */
export interface Relations {
  /** Columns naming people: each comes with their employer. */
  person?: string[];
  /** Columns naming companies. */
  company?: string[];
  product?: string[];
  site?: string[];
  workspace?: string[];
  stage?: string[];
  /** The rows' facilitators (deals only; to-many), with the people they name and those people's employers. */
  facilitators?: boolean;
}

const ENTITIES = { person: Person, company: Company, product: Product, site: Site, workspace: Workspace, stage: Stage, facilitator: Facilitator };
type Primed = Exclude<keyof typeof ENTITIES, "facilitator">;

/**
 * SQL of one JSON object over the rows in `main`, read under `alias`: for each loader, the rows
 * `relations` name as arrays of their columns (every column: a primed entity must be whole), each
 * row once. People's employers come with the companies; facilitators with their people and
 * employers.
 */
export function relatedSql(connection: DataSource, relations: Relations, alias: string): string {
  const columns = (entity: Primed | "facilitator") =>
    connection
      .getMetadata(ENTITIES[entity])
      .columns.map((column) => `r.${column.databaseName}`)
      .join(", ");
  const table = (entity: Primed | "facilitator") => connection.getMetadata(ENTITIES[entity]).tablePath;
  /** Keys (organization_id, id) from columns of the rows read: one row per row and column. */
  const keysFrom = (names: string[] = []) =>
    names.length === 0
      ? []
      : [`SELECT main.${alias}_organization_id, key.id FROM main CROSS JOIN LATERAL (VALUES ${names.map((name) => `(main.${alias}_${name})`).join(", ")}) AS key(id)`];
  /** The rows of `entity` that `keys` name, each once, each by an index probe of its primary key. */
  const rowsOf = (entity: Primed, keys: string[]) =>
    `SELECT ${columns(entity)} FROM (SELECT DISTINCT organization_id, id FROM (${keys.join(" UNION ALL ")}) AS k(organization_id, id) WHERE id IS NOT NULL) AS k ` +
    `CROSS JOIN LATERAL (SELECT * FROM ${table(entity)} r WHERE r.organization_id = k.organization_id AND r.id = k.id LIMIT 1) AS r`;

  const ctes: string[] = [];
  const personKeys = keysFrom(relations.person);
  const companyKeys = keysFrom(relations.company);
  if (relations.facilitators) {
    // OFFSET 0 keeps the subquery a probe of each deal's facilitators (its unique index leads
    // with organization and deal). Each deal once: a command's read may bring a deal on several
    // rows (one per row a to-many check joined).
    ctes.push(
      `related_facilitator AS MATERIALIZED (SELECT ${columns("facilitator")} FROM (SELECT DISTINCT ${alias}_organization_id, ${alias}_id FROM main) AS main CROSS JOIN LATERAL ` +
        `(SELECT * FROM ${table("facilitator")} r WHERE r.organization_id = main.${alias}_organization_id AND r.deal_id = main.${alias}_id OFFSET 0) AS r)`,
    );
    personKeys.push("SELECT organization_id, person_id FROM related_facilitator");
    companyKeys.push("SELECT organization_id, company_id FROM related_facilitator");
  }
  if (personKeys.length > 0) {
    ctes.push(`related_person AS MATERIALIZED (${rowsOf("person", personKeys)})`);
    companyKeys.push("SELECT organization_id, company_id FROM related_person");
  }
  const from = (entity: Primed, keys: string[]) => (keys.length > 0 ? `(${rowsOf(entity, keys)}) r` : "");
  const parts: Array<[Primed | "facilitator", string]> = [
    ["person", personKeys.length > 0 ? "related_person r" : ""],
    ["company", from("company", companyKeys)],
    ["product", from("product", keysFrom(relations.product))],
    ["site", from("site", keysFrom(relations.site))],
    ["workspace", from("workspace", keysFrom(relations.workspace))],
    ["stage", from("stage", keysFrom(relations.stage))],
    ["facilitator", relations.facilitators ? "related_facilitator r" : ""],
  ];
  const object = parts
    .filter(([, source]) => source !== "")
    .map(([name, source]) => `'${name}', (SELECT json_agg(json_build_array(${columns(name)})) FROM ${source})`)
    .join(", ");
  return `(${ctes.length > 0 ? `WITH ${ctes.join(", ")} ` : ""}SELECT json_build_object(${object}))`;
}

/** relatedSql as the extra `related` of selectWithExtras: a read of rows that brings what they name. */
export function relatedExtra(connection: DataSource, relations: Relations, alias: string): Extra {
  return { name: "related", sql: relatedSql(connection, relations, alias), type: "json" };
}

/**
 * Primes the loaders with the rows of a `relatedSql` value. With facilitators, every deal of
 * `ids` (the rows read) gets its list, an empty one included.
 */
export function primeRelated(loaders: Pick<Loaders, Primed | "facilitatorsByDeal">, connection: DataSource, related: unknown, ids: string[]): void {
  primeRelatedRows(loaders, connection, related);
  const facilitators = facilitatorsOf(connection, related, ids);
  for (const [dealId, list] of facilitators ?? []) loaders.facilitatorsByDeal.prime(dealId, list);
}

/** Primes the loaders of the to-one rows (people, companies, …) of a `relatedSql` value. */
export function primeRelatedRows(loaders: Pick<Loaders, Primed>, connection: DataSource, related: unknown): void {
  const { facilitator: _facilitators, ...rows } = (related ?? {}) as Record<Primed | "facilitator", unknown[][] | null>;
  for (const [name, values] of Object.entries(rows)) {
    const metadata = connection.getMetadata(ENTITIES[name as Primed]);
    const loader = loaders[name as Primed] as { prime(id: string, value: unknown): void };
    for (const columns of values ?? []) {
      const found = entityFromJsonArray<{ id: string }>(metadata, columns);
      loader.prime(found.id, found);
    }
  }
}

/**
 * Each deal of `ids`'s facilitators in their order, from a `relatedSql` value read with
 * facilitators (an empty list for a deal that has none); undefined when it was read without them.
 */
export function facilitatorsOf(connection: DataSource, related: unknown, ids: string[]): Map<string, Facilitator[]> | undefined {
  const rows = ((related ?? {}) as { facilitator?: unknown[][] | null }).facilitator;
  if (rows === undefined) return undefined;
  const metadata = connection.getMetadata(Facilitator);
  const byDeal = new Map<string, Facilitator[]>(ids.map((id) => [id, []]));
  for (const columns of rows ?? []) {
    const found = entityFromJsonArray<Facilitator>(metadata, columns);
    byDeal.get(found.dealId)?.push(found);
  }
  for (const list of byDeal.values()) list.sort(byFacilitatorOrder);
  return byDeal;
}
