import { EntityMetadata, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { DriverUtils } from "typeorm/driver/DriverUtils";
import { parseJsonTimestamp } from "./timestamps";

/** How one entity is read from a raw row: its class, and each property's raw column. */
interface Plan {
  prototype: object;
  columns: Array<[property: string, rawKey: string]>;
  /** For a single-table-inheritance parent: the discriminator's raw column and each child's plan. */
  children?: { rawKey: string; plans: Map<unknown, Plan> };
}

const plans = new Map<string, Plan>();

/**
 * Entities from the raw rows of a query builder (`getRawMany()`), without TypeORM's result
 * transformer, which on a hot list cost more than the rest of our code together. A plan per
 * entity and alias is compiled once; the driver has already parsed each value (uuid, text,
 * numeric as string, timestamptz as Date, arrays), as the transformer would leave them.
 * Returns null for a LEFT JOIN that found nothing.
 */
export function entityFromRaw<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<ObjectLiteral>,
  row: Record<string, unknown>,
  alias: string = qb.alias,
): T | null {
  const plan = planFor(qb, alias);
  const idKey = plan.columns.find(([property]) => property === "id")?.[1];
  if (idKey && row[idKey] === null) return null;
  return build(plan, row) as T;
}

export function entitiesFromRaw<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<ObjectLiteral>,
  rows: Array<Record<string, unknown>>,
  alias: string = qb.alias,
): T[] {
  return rows.map((row) => entityFromRaw<T>(qb, row, alias)!);
}

/** An entity from a row whose keys are plain column names, such as INSERT … RETURNING * gives. */
export function entityFromColumns<T extends ObjectLiteral>(metadata: EntityMetadata, row: Record<string, unknown>): T {
  return build(planOf(metadata, "", (databaseName) => databaseName), row) as T;
}

/**
 * An entity from a row that came as JSON (`json_agg` of a CTE's rows): as entityFromColumns,
 * with the timestamps JSON carries as text made Dates, as the driver would have made them.
 */
export function entityFromJson<T extends ObjectLiteral>(metadata: EntityMetadata, row: Record<string, unknown>): T {
  const entity = entityFromColumns<T>(metadata, row) as Record<string, unknown>;
  for (const column of metadata.columns) {
    const value = entity[column.propertyName];
    if (typeof value === "string" && isTimestamp(column.type)) {
      entity[column.propertyName] = parseJsonTimestamp(value);
    }
  }
  return entity as T;
}

/**
 * An entity from a JSON array of its columns in metadata order, such as `json_build_array` of
 * them gives. JSON has no timestamps: a timestamptz arrives as ISO 8601 text and becomes a Date
 * here, to the millisecond like the driver's own parser. (Numeric columns would arrive as JSON
 * numbers, losing digits: the entities read this way have none.)
 */
export function entityFromJsonArray<T extends ObjectLiteral>(metadata: EntityMetadata, values: unknown[]): T {
  let plan = jsonPlans.get(metadata);
  if (!plan) {
    plan = {
      prototype: (metadata.target as { prototype: object }).prototype,
      columns: metadata.columns.map((column) => [column.propertyName, isTimestamp(column.type)]),
    };
    jsonPlans.set(metadata, plan);
  }
  const entity = Object.create(plan.prototype) as Record<string, unknown>;
  plan.columns.forEach(([property, timestamp], i) => {
    const value = values[i];
    entity[property] = timestamp && typeof value === "string" ? parseJsonTimestamp(value) : value;
  });
  return entity as T;
}

const jsonPlans = new Map<EntityMetadata, { prototype: object; columns: Array<[property: string, timestamp: boolean]> }>();

const isTimestamp = (type: unknown) => type === "timestamptz" || type === "timestamp with time zone";

function planFor(qb: SelectQueryBuilder<ObjectLiteral>, alias: string): Plan {
  const metadata = qb.expressionMap.findAliasByName(alias).metadata;
  return planOf(metadata, alias, (databaseName) => DriverUtils.buildAlias(qb.connection.driver, undefined, alias, databaseName));
}

/** The plan for `metadata` read under `alias`, whose columns `rawKey` names; compiled once. */
function planOf(metadata: EntityMetadata, alias: string, rawKey: (databaseName: string) => string): Plan {
  const key = `${metadata.name}:${alias}`;
  let plan = plans.get(key);
  if (!plan) {
    const compile = (m: EntityMetadata): Plan => ({
      prototype: (m.target as { prototype: object }).prototype,
      columns: m.columns.map((column) => [column.propertyName, rawKey(column.databaseName)]),
    });
    plan = compile(metadata);
    if (metadata.discriminatorColumn && metadata.childEntityMetadatas.length > 0) {
      plan.children = {
        rawKey: rawKey(metadata.discriminatorColumn.databaseName),
        plans: new Map(metadata.childEntityMetadatas.map((child) => [child.discriminatorValue, compile(child)])),
      };
    }
    plans.set(key, plan);
  }
  return plan;
}

function build(plan: Plan, row: Record<string, unknown>): object {
  const chosen = plan.children ? (plan.children.plans.get(row[plan.children.rawKey]) ?? plan) : plan;
  const entity = Object.create(chosen.prototype) as Record<string, unknown>;
  for (const [property, rawKey] of chosen.columns) entity[property] = row[rawKey];
  return entity;
}
