import { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { Loaders } from "../../core/loaders/loaders";
import { entityFromRaw } from "../../core/db/hydrate";
import { Company } from "../company/company.entity";
import { Person } from "../person/person.entity";
import { Product } from "../product/product.entity";
import { Site } from "../site/site.entity";
import { Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";

/** The per-request loaders a joined row primes. */
type PrimedLoader = "person" | "company" | "workspace" | "stage" | "product" | "site";

/**
 * A to-one relation of a deal that a read of deals joins in its own statement, so that its
 * field then resolves from the primed loader without a statement of its own. `on` is SQL over
 * the deal row (alias `deal`) and `alias`; every join is a LEFT JOIN on a key, so a row is still
 * one deal, and a relation that is not there (or not the deal's kind) is simply not primed.
 */
export interface DealJoin {
  /** The alias in SQL; never `<another alias>_<column>`, which would clash in the raw row's keys. */
  alias: string;
  entity: typeof Person | typeof Company | typeof Workspace | typeof Stage | typeof Product | typeof Site;
  on: string;
  loader: PrimedLoader;
}

/** A person of the deal (in `column`), and their employer, scoped to the deal's organization like the loaders. */
function personWithEmployer(alias: string, column: string): DealJoin[] {
  const employer = `${alias}_employer`;
  return [
    { alias, entity: Person, loader: "person", on: `${alias}.organization_id = deal.organization_id AND ${alias}.id = deal.${column}` },
    {
      alias: employer,
      entity: Company,
      loader: "company",
      on: `${employer}.organization_id = ${alias}.organization_id AND ${employer}.id = ${alias}.company_id`,
    },
  ];
}

/** What every deal has: its owner (with employer), workspace and stage (joined by id only: see stage.service.ts). */
const OWNERSHIP: DealJoin[] = [
  ...personWithEmployer("owner", "owner_id"),
  { alias: "workspace", entity: Workspace, loader: "workspace", on: "workspace.organization_id = deal.organization_id AND workspace.id = deal.workspace_id" },
  { alias: "stage", entity: Stage, loader: "stage", on: "stage.id = deal.stage_id" },
];

/** A referral's seeker, provider and connector with their employers, and its product. */
export const REFERRAL_JOINS: DealJoin[] = [
  ...personWithEmployer("seeker", "seeker_id"),
  ...personWithEmployer("provider", "provider_id"),
  ...personWithEmployer("connector", "connector_id"),
  { alias: "product", entity: Product, loader: "product", on: "product.organization_id = deal.organization_id AND product.id = deal.product_id" },
  ...OWNERSHIP,
];

/** An opportunity's customer company, primary contact (with employer) and site. */
export const OPPORTUNITY_JOINS: DealJoin[] = [
  { alias: "customer", entity: Company, loader: "company", on: "customer.organization_id = deal.organization_id AND customer.id = deal.customer_id" },
  ...personWithEmployer("contact", "primary_contact_id"),
  { alias: "site", entity: Site, loader: "site", on: "site.organization_id = deal.organization_id AND site.id = deal.site_id" },
  ...OWNERSHIP,
];

/** A deal of either kind (read by id): the other kind's joins find nothing. */
export const ANY_DEAL_JOINS: DealJoin[] = [...REFERRAL_JOINS, ...OPPORTUNITY_JOINS.filter((join) => !OWNERSHIP.includes(join))];

/** The columns of the deal row a read leaves out: only the create's idempotency check reads them. */
const UNREAD_DEAL_COLUMNS = new Set(["idempotencyKey", "idempotencyFingerprint"]);

/**
 * Narrows the deal row (alias `deal`) to the columns a read uses and joins `joins`, selecting
 * every column of each (a primed entity must be whole: any of its fields may be asked for).
 */
export function joinDealParties<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, joins: DealJoin[]): SelectQueryBuilder<T> {
  const columns = qb.expressionMap.mainAlias!.metadata.columns.filter((column) => !UNREAD_DEAL_COLUMNS.has(column.propertyName));
  qb.select(columns.map((column) => `deal.${column.propertyPath}`));
  for (const join of joins) qb.leftJoin(join.entity, join.alias, join.on).addSelect(join.alias);
  return qb;
}

/** Primes the loaders with what `joins` brought in `row` of `qb`. */
export function primeDealParties(
  loaders: Pick<Loaders, PrimedLoader>,
  qb: SelectQueryBuilder<ObjectLiteral>,
  row: Record<string, unknown>,
  joins: DealJoin[],
): void {
  for (const join of joins) {
    const found = entityFromRaw<{ id: string }>(qb, row, join.alias);
    if (found) (loaders[join.loader] as { prime(id: string, value: unknown): void }).prime(found.id, found);
  }
}
