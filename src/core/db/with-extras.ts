import { EntityManager, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { queryPrepared } from "./prepared";

/** A value computed once beside a query's rows: SQL over the query's rows (the CTE `main`), or on its own (a count). */
export interface Extra {
  name: string;
  sql: string;
  type: "json" | "bigint";
}

/**
 * Runs `main` and, in the same statement, `extras`, which come back in one more row after main's
 * rows (whose main columns are all NULL): so an empty result still brings them, and each is
 * computed once, not once per row. `parameters` are those the extras use besides main's own.
 * With `order` (main's ORDER BY, as SQL), the rows keep main's order. With `prepare`, the
 * statement is a named prepared statement (see prepared.ts).
 */
export async function selectWithExtras(
  db: EntityManager,
  main: SelectQueryBuilder<ObjectLiteral>,
  extras: Extra[],
  { parameters = {}, order, prepare = false }: { parameters?: ObjectLiteral; order?: string; prepare?: boolean } = {},
): Promise<{ rows: Array<Record<string, unknown>>; extras: Record<string, unknown> }> {
  const positioned = order ? main.clone().addSelect(`row_number() OVER (ORDER BY ${order})`, "main_position") : main;
  const blanks = extras.map((extra) => `NULL::${extra.type} AS ${extra.name}`);
  const values = extras.map((extra) => `(${extra.sql})::${extra.type} AS ${extra.name}`);
  const sql =
    `WITH main AS MATERIALIZED (${positioned.getQuery()}) ` +
    `SELECT main.*, ${[...blanks, "false AS extras_row"].join(", ")} FROM main ` +
    `UNION ALL SELECT main.*, ${[...values, "true"].join(", ")} FROM (SELECT) AS one LEFT JOIN main ON false` +
    (order ? " ORDER BY main_position NULLS LAST" : "");
  const [query, bound] = main.connection.driver.escapeQueryWithParameters(sql, { ...parameters, ...positioned.getParameters() });
  const rows: Array<Record<string, unknown>> = prepare ? await queryPrepared(db, query, bound) : await db.query(query, bound);
  const at = rows.findIndex((row) => row.extras_row === true);
  const [extraRow] = rows.splice(at, 1);
  return { rows, extras: Object.fromEntries(extras.map((extra) => [extra.name, extraRow[extra.name]])) };
}
