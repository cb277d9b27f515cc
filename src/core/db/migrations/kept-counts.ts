import { QueryRunner } from "typeorm";

/**
 * A table that keeps how many rows `table` has per key, for counts a list would otherwise make
 * row by row: `key` names each column of the counts table, its type and the expression over a
 * row of `table` it holds; `column` is the count's own column.
 *
 * Statement-level triggers add every INSERT, UPDATE and DELETE of `table` to it in the same
 * transaction (a TRUNCATE empties it): a statement writing many rows changes each count row once,
 * in key order. Each session adds its changes to a row of its own (`slot`: its backend's pid
 * modulo 16), so concurrent writes of one key do not queue on one counter row until they commit;
 * a count is the sum over the slots, and a slot may go below zero (a row made in one session and
 * removed in another). The counts are taken under a SHARE lock on `table` (reads go on; writes
 * wait for the commit), after the triggers are in place, so no write falls between the two.
 *
 * The SQL is part of the migrations that made such tables (deal counts, person counts): change
 * it only together with a new migration.
 */
export interface KeptCounts {
  table: string;
  counts: string;
  column: string;
  key: Array<{ name: string; type: string; of: string }>;
}

export async function createKeptCounts(q: QueryRunner, { table, counts, column, key }: KeptCounts): Promise<void> {
  const names = key.map((part) => part.name).join(", ");
  await q.query(`LOCK TABLE ${table} IN SHARE MODE`);
  await q.query(`
      CREATE TABLE ${counts} (
        ${key.map((part) => `${part.name} ${part.type} NOT NULL,`).join("\n        ")}
        slot smallint NOT NULL,
        ${column} bigint NOT NULL,
        PRIMARY KEY (${names}, slot)
      )`);
  // A row's key, +1 for each row a statement wrote and -1 for each it replaced or removed (the
  // transition tables: new rows for INSERT, old rows for DELETE, both for UPDATE).
  const rows = (transition: string, sign: number) =>
    `SELECT ${key.map((part) => (part.of === part.name ? part.name : `${part.of} AS ${part.name}`)).join(", ")}, ${sign} AS change FROM ${transition}`;
  const add = (changes: string) => `
          INSERT INTO ${counts} AS counted
          SELECT ${names}, pg_backend_pid() % 16, sum(change) FROM (${changes}) AS changed
           GROUP BY ${names}
          HAVING sum(change) <> 0
           ORDER BY ${names}
          ON CONFLICT (${names}, slot) DO UPDATE SET ${column} = counted.${column} + excluded.${column};`;
  await q.query(`
      CREATE FUNCTION ${counts}_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN ${add(rows("new_rows", 1))}
        ELSIF TG_OP = 'UPDATE' THEN ${add(`${rows("new_rows", 1)} UNION ALL ${rows("old_rows", -1)}`)}
        ELSIF TG_OP = 'DELETE' THEN ${add(rows("old_rows", -1))}
        ELSE
          DELETE FROM ${counts};
        END IF;
        RETURN NULL;
      END $$`);
  await q.query(`CREATE TRIGGER ${counts}_insert AFTER INSERT ON ${table}
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${counts}_change()`);
  await q.query(`CREATE TRIGGER ${counts}_update AFTER UPDATE ON ${table}
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${counts}_change()`);
  await q.query(`CREATE TRIGGER ${counts}_delete AFTER DELETE ON ${table}
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${counts}_change()`);
  await q.query(`CREATE TRIGGER ${counts}_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${counts}_change()`);
  await q.query(`
      INSERT INTO ${counts} (${names}, slot, ${column})
      SELECT ${key.map((part) => part.of).join(", ")}, 0, count(*)
        FROM ${table} GROUP BY ${key.map((_, i) => i + 1).join(", ")}`);
}

export async function dropKeptCounts(q: QueryRunner, { table, counts }: KeptCounts): Promise<void> {
  for (const operation of ["insert", "update", "delete", "truncate"]) await q.query(`DROP TRIGGER ${counts}_${operation} ON ${table}`);
  await q.query(`DROP FUNCTION ${counts}_change()`);
  await q.query(`DROP TABLE ${counts}`);
}
