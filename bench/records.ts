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
 * through the field's table OID, so the SQL's aliases do not matter. A statement that brings
 * its page's relations and count in its own last row (the service's selectWithExtras) gives
 * them too: the count from its `total_count`, the related rows from its `related` JSON, whose
 * arrays of columns are named by the statement's text (`texts`, one per result).
 */
export class RecordSet {
  private readonly byTable = new Map<string, Map<string, Row>>();
  readonly statements: DecodedRow[][] = [];
  private readonly counts: number[] = [];

  constructor(catalog: Catalog, results: QueryArrayResult[], texts: string[] = []) {
    results.forEach((result, index) => {
      if (isCount(result)) this.counts.push(Number(result.rows[0][0]));
      const aliases = aliasTables(texts[index] ?? "");
      const columns = result.fields.map((field) => {
        const table = catalog.table(field.tableID);
        if (table) return { table, column: catalog.column(field.tableID, field.columnID) ?? field.name };
        // Columns a UNION returns have no table of their own: TypeORM's `<alias>_<column>` names tell it.
        const alias = [...aliases.keys()].find((name) => field.name.startsWith(`${name}_`));
        return alias ? { table: aliases.get(alias)!, column: field.name.slice(alias.length + 1) } : { table: null, column: field.name };
      });
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
        if (row.computed.extras_row === true) this.keepExtras(row.computed, texts[index] ?? "");
        decoded.push(row);
      }
      this.statements.push(decoded);
    });
  }

  /** The count and the related rows of an extras row (see the class's comment). */
  private keepExtras(computed: Row, text: string): void {
    if (computed.total_count !== null && computed.total_count !== undefined) this.counts.push(Number(computed.total_count));
    const related = (computed.related ?? {}) as Record<string, unknown[][] | null>;
    const columnsOf = relatedColumns(text);
    for (const [kind, rows] of Object.entries(related)) {
      const columns = columnsOf.get(kind);
      if (!columns) throw new Error(`the related JSON has ${kind} rows, but the statement's text does not name their columns`);
      for (const values of rows ?? []) this.remember(RELATED_TABLES[kind] ?? kind, Object.fromEntries(columns.map((column, i) => [column, values[i]])));
    }
  }

  private keep(table: string, row: Row, decoded: DecodedRow): void {
    if (typeof row.id !== "string") return;
    if (!decoded.rows.has(table)) decoded.rows.set(table, row);
    this.remember(table, row);
  }

  private remember(table: string, row: Row): void {
    const id = row.id;
    if (typeof id !== "string") return;
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

/** The tables of the related JSON's kinds of rows whose name is not the kind's (core/loaders/related.ts). */
const RELATED_TABLES: Record<string, string> = { facilitator: "pipeline_deal_facilitator" };

/** The tables a statement's text reads under an alias (TypeORM's `FROM "pipeline_deal" "deal"`), by alias, longest first. */
function aliasTables(text: string): Map<string, string> {
  const found = [...text.matchAll(/(?:FROM|JOIN) "(\w+)" "(\w+)"/g)].map(([, table, alias]) => [alias, table] as const);
  return new Map(found.sort(([a], [b]) => b.length - a.length));
}

/** Each kind of row of a statement's related JSON, with its columns in their order: `'person', (SELECT json_agg(json_build_array(r.organization_id, r.id, …))`. */
function relatedColumns(text: string): Map<string, string[]> {
  const kinds = new Map<string, string[]>();
  for (const [, kind, columns] of text.matchAll(/'(\w+)', \(SELECT json_agg\(json_build_array\(([^)]*)\)\)/g)) {
    kinds.set(kind, columns.split(",").map((column) => column.trim().replace(/^r\./, "")));
  }
  return kinds;
}

/** A count(…): one row of one computed, whole-number column. */
function isCount(result: QueryArrayResult): boolean {
  return result.fields.length === 1 && result.fields[0].tableID === 0 && result.rows.length === 1 && /^\d+$/.test(String(result.rows[0][0]));
}
