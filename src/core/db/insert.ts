import { EntityManager, EntityTarget, ObjectLiteral } from "typeorm";
import { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { entityFromColumns } from "./hydrate";

/**
 * INSERT … RETURNING *, as one statement, and the rows back as entities. The hot write path:
 * unlike save(), it neither SELECTs first nor opens a transaction of its own, and it leaves
 * `values` as they were.
 */
export async function insertRows<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  values: Array<QueryDeepPartialEntity<T>>,
  { skipConflicts = false } = {},
): Promise<T[]> {
  if (values.length === 0) return [];
  const metadata = manager.connection.getMetadata(entity);
  const { raw } = await manager
    .createQueryBuilder()
    .insert()
    .into(entity)
    .values(values)
    .orIgnore(skipConflicts)
    .returning("*")
    // The rows come back whole from RETURNING; TypeORM need not write ids into `values`.
    .updateEntity(false)
    .execute();
  return (raw as Array<Record<string, unknown>>).map((row) => entityFromColumns<T>(metadata, row));
}

export async function insertRow<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>,
): Promise<T> {
  const [row] = await insertRows(manager, entity, [values]);
  return row;
}

/** insertRow, except that a row conflicting with a unique index is not written: then null. */
export async function insertRowUnlessConflict<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>,
): Promise<T | null> {
  const [row] = await insertRows(manager, entity, [values], { skipConflicts: true });
  return row ?? null;
}
