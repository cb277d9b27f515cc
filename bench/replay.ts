import { randomUUID } from "node:crypto";
import { Pool, PoolClient, QueryArrayResult } from "pg";
import { Capture, CapturedStatement } from "./capture";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (value: unknown): value is string => typeof value === "string" && UUID.test(value);
const TRANSACTION_START = /^\s*(BEGIN|START TRANSACTION)\b/i;
const WRITE_COMMANDS = new Set(["INSERT", "UPDATE", "DELETE"]);

/**
 * How to send one request's captured statements again through plain `pg`, with other ids:
 * the same texts, the same order and overlap, the same connections-per-runner, and parameters
 * rewritten so that a replay for other variables reads and writes the rows those variables name.
 */
export interface ReplayPlan {
  template: Capture;
  /** Ids the service makes afresh for every request (client-generated keys): each replay gets new ones. */
  fresh: Set<string>;
  /** The service sent several writes outside a transaction: the replay wraps everything in one. */
  wrapInTransaction: boolean;
  /** Per statement: does a later statement's parameter come from one of its result values? */
  feedsLater: boolean[];
  writes: number;
}

/**
 * Builds the plan from two captures of the same request (same variables). An id that one
 * statement sends in the first capture and not in the second, once the ids learnt from the
 * variables and from earlier results are accounted for, is made afresh by the service itself:
 * every replay must make its own. (Ids are compared as a set per statement: the order in which
 * loaders batch their keys is not part of the SQL's meaning.)
 */
export function planReplay(first: Capture, second: Capture): ReplayPlan {
  const texts = (capture: Capture) => capture.statements.map((statement) => statement.text).join("\n;\n");
  if (texts(first) !== texts(second)) {
    throw new Error(
      `the service sent different SQL for two identical requests (${first.statements.length} and ${second.statements.length} statements)`,
    );
  }
  const fresh = new Set<string>();
  const ids = pairIds(first.variables, second.variables);
  for (const event of first.events) {
    const template = first.statements[event.statement];
    const actual = second.statements[event.statement];
    if (event.type === "start") {
      const sent = uuidsIn(template.parameters);
      const received = uuidsIn(actual.parameters);
      const present = new Set(received);
      sent.forEach((id, i) => {
        if (present.has(ids.get(id) ?? id)) return;
        fresh.add(id);
        if (sent.length === received.length) ids.set(id, received[i]);
      });
    } else {
      correlate(template, actual.rows, ids);
    }
  }
  const writes = first.statements.filter((statement) => WRITE_COMMANDS.has(statement.command)).length;
  return {
    template: first,
    fresh,
    wrapInTransaction: writes > 1 && !first.statements.some((statement) => TRANSACTION_START.test(statement.text)),
    feedsLater: feedsLater(first.statements),
    writes,
  };
}

/**
 * Sends the template's statements for `variables`, each as the service sent it: statements that
 * overlapped overlap again, statements of one TypeORM runner share one pooled connection, and a
 * statement's parameters are rewritten from the variables and from earlier results. Returns
 * every statement's result (rows as arrays).
 */
export async function replay(pool: Pool, plan: ReplayPlan, variables: Record<string, unknown>): Promise<QueryArrayResult[]> {
  const { template } = plan;
  const ids = pairIds(template.variables, variables);
  const rewriting = plan.fresh.size > 0 || [...ids].some(([from, to]) => from !== to);
  const connections = new Connections(pool, template.statements, plan.wrapInTransaction);
  const results: QueryArrayResult[] = [];
  const running = new Map<number, Promise<QueryArrayResult>>();

  const send = async (index: number): Promise<QueryArrayResult> => {
    const statement = template.statements[index];
    const client = await connections.acquire(statement.runner);
    const values = rewriting ? (rewrite(statement.parameters, ids, plan.fresh) as unknown[]) : statement.parameters;
    const result = await client.query({ text: statement.text, values, rowMode: "array" });
    if (rewriting && plan.feedsLater[index]) correlate(statement, result.rows, ids);
    results[index] = result;
    connections.done(statement.runner, index);
    return result;
  };

  try {
    await connections.begin();
    for (const event of template.events) {
      if (event.type === "start") {
        const sent = send(event.statement);
        sent.catch(() => undefined);
        running.set(event.statement, sent);
      } else {
        await running.get(event.statement);
      }
    }
    await Promise.all(running.values());
    await connections.commit();
  } catch (error) {
    await Promise.allSettled(running.values());
    await connections.abort();
    throw error;
  }
  return results;
}

/**
 * The pooled connections of one replay. A runner takes a connection at its first statement and
 * gives it back after its last, as TypeORM does; in a wrapped transaction every runner shares one.
 */
class Connections {
  private readonly clients = new Map<number, Promise<PoolClient>>();
  private readonly lastOf = new Map<number, number>();
  private shared: PoolClient | null = null;

  constructor(
    private readonly pool: Pool,
    statements: CapturedStatement[],
    private readonly wrap: boolean,
  ) {
    statements.forEach((statement, index) => this.lastOf.set(statement.runner, index));
  }

  async begin(): Promise<void> {
    if (!this.wrap) return;
    this.shared = await this.pool.connect();
    await this.shared.query("BEGIN");
  }

  acquire(runner: number): Promise<PoolClient> {
    if (this.shared) return Promise.resolve(this.shared);
    let client = this.clients.get(runner);
    if (!client) {
      client = this.pool.connect();
      this.clients.set(runner, client);
    }
    return client;
  }

  done(runner: number, index: number): void {
    if (this.shared || this.lastOf.get(runner) !== index) return;
    const client = this.clients.get(runner)!;
    this.clients.delete(runner);
    void client.then((c) => c.release());
  }

  async commit(): Promise<void> {
    if (!this.shared) return;
    await this.shared.query("COMMIT");
    this.shared.release();
    this.shared = null;
  }

  /** After a failure: roll back whatever is open and give every connection back, closed. */
  async abort(): Promise<void> {
    const open = [...this.clients.values(), ...(this.shared ? [Promise.resolve(this.shared)] : [])];
    this.clients.clear();
    this.shared = null;
    for (const pending of open) {
      const client = await pending.catch(() => null);
      if (!client) continue;
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(true);
    }
  }
}

/** Template ids → ids of this replay, starting from the variables (walked side by side). */
function pairIds(template: unknown, actual: unknown): Map<string, string> {
  const ids = new Map<string, string>();
  walkPairs(template, actual, (from, to) => {
    if (!ids.has(from)) ids.set(from, to);
  });
  return ids;
}

/** Calls `visit` for every pair of UUID strings found at the same place in two values. */
function walkPairs(template: unknown, actual: unknown, visit: (template: string, actual: string) => void): void {
  if (isUuid(template)) {
    if (isUuid(actual)) visit(template, actual);
  } else if (Array.isArray(template) && Array.isArray(actual)) {
    template.forEach((item, i) => walkPairs(item, actual[i], visit));
  } else if (isPlainObject(template) && isPlainObject(actual)) {
    for (const key of Object.keys(template)) walkPairs(template[key], actual[key], visit);
  }
}

function uuidsIn(value: unknown): string[] {
  const found: string[] = [];
  walkPairs(value, value, (id) => found.push(id));
  return found;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function rewrite(value: unknown, ids: Map<string, string>, fresh: Set<string>): unknown {
  if (isUuid(value)) {
    let id = ids.get(value);
    if (id === undefined && fresh.has(value)) {
      id = randomUUID();
      ids.set(value, id);
    }
    return id ?? value;
  }
  if (Array.isArray(value)) return value.map((item) => rewrite(item, ids, fresh));
  return value;
}

/**
 * Learns ids from a statement's result: the template's rows and this run's rows describe the same
 * things (the same rows read again for other ids, or rows just written), so their ids pair up.
 * Rows are matched by a column of distinct ids when there is one: a row whose id is already
 * paired goes with its partner's row, a row whose id comes back unchanged (the viewer, the
 * organization) with itself, and the rest in order; without such a column, all in order. (The
 * references a create reads come one row per person in no set order, so matching them by
 * position alone paired the seeker of one request with the viewer of the other.)
 */
export function correlate(template: CapturedStatement, rows: unknown[][], ids: Map<string, string>): void {
  if (template.rows.length === 0 || rows.length === 0) return;
  const key = template.fields.findIndex(
    (_, column) => template.rows.every((row) => isUuid(row[column])) && new Set(template.rows.map((row) => row[column])).size === template.rows.length,
  );
  const pairs: Array<[unknown[], unknown[]]> = [];
  const unmatched = new Set(rows);
  const pending: unknown[][] = [];
  if (key >= 0) {
    const byKey = new Map(rows.map((row) => [row[key], row]));
    for (const templateRow of template.rows) {
      const id = templateRow[key] as string;
      const partner = byKey.get(ids.get(id) ?? id);
      if (partner && unmatched.has(partner)) {
        pairs.push([templateRow, partner]);
        unmatched.delete(partner);
      } else {
        pending.push(templateRow);
      }
    }
  } else {
    pending.push(...template.rows);
  }
  const rest = [...unmatched];
  pending.forEach((templateRow, i) => {
    if (rest[i]) pairs.push([templateRow, rest[i]]);
  });
  for (const [templateRow, row] of pairs) {
    templateRow.forEach((value, column) => {
      const other = row[column];
      if (isUuid(value) && isUuid(other) && !ids.has(value)) ids.set(value, other);
    });
  }
}

/** Whether each statement's result holds an id that a later statement sends as a parameter. */
function feedsLater(statements: CapturedStatement[]): boolean[] {
  const laterParameters = new Set<string>();
  const feeds = new Array<boolean>(statements.length).fill(false);
  for (let i = statements.length - 1; i >= 0; i--) {
    const statement = statements[i];
    feeds[i] = statement.rows.some((row) => row.some((value) => isUuid(value) && laterParameters.has(value)));
    for (const id of uuidsIn(statement.parameters)) laterParameters.add(id);
  }
  return feeds;
}
