import { PoolClient } from "pg";

/** A PostgreSQL column type as the bulk loader sends it; `text[]` columns travel as array literals. */
export type ColumnType = "uuid" | "text" | "numeric" | "integer" | "smallint" | "boolean" | "timestamptz" | "bytea" | "text[]";

const ROWS_PER_STATEMENT = 5_000;

/**
 * Rows for one table, collected column by column and written with
 * `INSERT … SELECT * FROM unnest($1::uuid[], $2::text[], …)`: one parameter per column whatever
 * the number of rows, so a batch of thousands of rows is a single short statement.
 */
export class BulkTable<Row extends Record<string, unknown>> {
  private readonly names: Array<keyof Row & string>;
  private readonly values: unknown[][];
  count = 0;

  constructor(
    readonly table: string,
    private readonly columns: { [K in keyof Row & string]: ColumnType },
  ) {
    this.names = Object.keys(columns) as Array<keyof Row & string>;
    this.values = this.names.map(() => []);
  }

  add(row: Row): void {
    this.names.forEach((name, i) => this.values[i].push(encode(row[name], this.columns[name])));
    this.count++;
  }

  /** Writes every row added so far, in batches, and forgets them. Returns how many were written. */
  async flush(client: PoolClient): Promise<number> {
    const written = this.values[0]?.length ?? 0;
    const params = this.names.map((name, i) => `$${i + 1}::${this.columns[name]}${this.columns[name] === "text[]" ? "" : "[]"}`);
    const select = this.names.map((name) => (this.columns[name] === "text[]" ? `"${name}"::text[]` : `"${name}"`));
    const sql =
      `INSERT INTO ${this.table} (${this.names.map((name) => `"${name}"`).join(", ")}) ` +
      `SELECT ${select.join(", ")} FROM unnest(${params.join(", ")}) AS u(${this.names.map((name) => `"${name}"`).join(", ")})`;
    for (let start = 0; start < written; start += ROWS_PER_STATEMENT) {
      await client.query(sql, this.values.map((column) => column.slice(start, start + ROWS_PER_STATEMENT)));
    }
    for (const column of this.values) column.length = 0;
    return written;
  }
}

/** A text[] value becomes its array literal, so that unnest sees one scalar per row. */
function encode(value: unknown, type: ColumnType): unknown {
  if (value === undefined) return null;
  if (type !== "text[]" || value === null) return value;
  const items = value as string[];
  return `{${items.map((item) => `"${item.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
}
