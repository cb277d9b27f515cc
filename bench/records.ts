import { Pool, QueryArrayResult } from "pg";

/** A table row as PostgreSQL returned it, keyed by column name. */
export type Row = Record<string, unknown>;

/** Table and column names by the OIDs PostgreSQL puts in every result field. */
export class Catalog {
  private constructor(private readonly columns: Map<number, Map<number, string>>, private readonly tables: Map<number, string>) {}

  static async load(pool: Pool): Promise<Catalog> {
    const { rows } = await pool.query<{ table_oid: number; table_name: string; attnum: number; column_name: string }>(
      `SELECT c.oid::int AS table_oid, c.relname AS table_name, a.attnum::int AS attnum, a.attname AS column_name
         FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`,
    );
    const columns = new Map<number, Map<number, string>>();
    const tables = new Map<number, string>();
    for (const row of rows) {
      tables.set(row.table_oid, row.table_name);
      if (!columns.has(row.table_oid)) columns.set(row.table_oid, new Map());
      columns.get(row.table_oid)!.set(row.attnum, row.column_name);
    }
    return new Catalog(columns, tables);
  }

  table(oid: number): string | null {
    return this.tables.get(oid) ?? null;
  }

  column(tableOid: number, attnum: number): string | null {
    return this.columns.get(tableOid)?.get(attnum) ?? null;
  }
}

/** One result row split into the table rows it joins, plus its computed columns (cursor values, counts). */
export interface DecodedRow {
  rows: Map<string, Row>;
  computed: Row;
}

/**
 * The rows one request read, by table and id, whatever statement brought them: what a
 * hand-written resolver would keep in its maps. Each result column is traced to its table
 * through the field's table OID, so the SQL's aliases do not matter.
 */
export class RecordSet {
  private readonly byTable = new Map<string, Map<string, Row>>();
  readonly statements: DecodedRow[][] = [];
  private readonly counts: number[] = [];

  constructor(catalog: Catalog, results: QueryArrayResult[]) {
    for (const result of results) {
      if (isCount(result)) this.counts.push(Number(result.rows[0][0]));
      const columns = result.fields.map((field) => ({
        table: catalog.table(field.tableID),
        column: catalog.column(field.tableID, field.columnID) ?? field.name,
      }));
      const decoded: DecodedRow[] = [];
      for (const values of result.rows) {
        const row: DecodedRow = { rows: new Map(), computed: {} };
        const current = new Map<string, Row>();
        columns.forEach(({ table, column }, i) => {
          if (!table) {
            row.computed[column] = values[i];
            return;
          }
          let target = current.get(table);
          if (!target || column in target) {
            // The same table again (joined twice): a new row of it starts here.
            if (target) this.keep(table, target, row);
            target = {};
            current.set(table, target);
          }
          target[column] = values[i];
        });
        for (const [table, target] of current) this.keep(table, target, row);
        decoded.push(row);
      }
      this.statements.push(decoded);
    }
  }

  private keep(table: string, row: Row, decoded: DecodedRow): void {
    const id = row.id;
    if (typeof id !== "string") return;
    if (!decoded.rows.has(table)) decoded.rows.set(table, row);
    let rows = this.byTable.get(table);
    if (!rows) {
      rows = new Map();
      this.byTable.set(table, rows);
    }
    if (!rows.has(id)) rows.set(id, row);
  }

  get(table: string, id: unknown): Row | null {
    return typeof id === "string" ? (this.byTable.get(table)?.get(id) ?? null) : null;
  }

  /** Every row of a table, in the order the statements first returned them. */
  all(table: string): Row[] {
    return [...(this.byTable.get(table)?.values() ?? [])];
  }

  /** The page of a list: the rows of the first statement that returned `table` rows with a cursor value, in order. */
  page(table: string): Array<{ row: Row; cursorValue: unknown }> {
    for (const statement of this.statements) {
      const rows = statement.filter((decoded) => decoded.rows.has(table) && "cursor_value" in decoded.computed);
      if (rows.length > 0) return rows.map((decoded) => ({ row: decoded.rows.get(table)!, cursorValue: decoded.computed.cursor_value }));
    }
    return [];
  }

  /** The first count the request ran (a totalCount), if it ran one. */
  count(): number | null {
    return this.counts[0] ?? null;
  }
}

/** A count(…): one row of one computed, whole-number column. */
function isCount(result: QueryArrayResult): boolean {
  return result.fields.length === 1 && result.fields[0].tableID === 0 && result.rows.length === 1 && /^\d+$/.test(String(result.rows[0][0]));
}
