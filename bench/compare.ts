import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { Pool } from "pg";
import { Dataset } from "./dataset";

/** One workload's equivalent for the compared endpoint: its query, and what to add to the workload's variables. */
export interface CompareQuery {
  query: string;
  variables?: Record<string, unknown>;
}

/**
 * Reads the `--compare-queries` file: JSON, workload name → { query, variables }. Keys that
 * start with "_" are comments. A workload the file does not name is not compared.
 */
export function loadCompareQueries(file: string): Map<string, CompareQuery> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`--compare-queries ${file}: ${(error as Error).message}`);
  }
  return parseCompareQueries(parsed, file);
}

export function parseCompareQueries(parsed: unknown, source: string): Map<string, CompareQuery> {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source}: expected an object of workload name → { query, variables }`);
  }
  const queries = new Map<string, CompareQuery>();
  for (const [name, entry] of Object.entries(parsed)) {
    if (name.startsWith("_")) continue;
    const { query, variables } = (entry ?? {}) as Partial<CompareQuery>;
    if (typeof query !== "string" || query.trim() === "") throw new Error(`${source}: "${name}" has no query`);
    if (variables !== undefined && (typeof variables !== "object" || variables === null || Array.isArray(variables))) {
      throw new Error(`${source}: "${name}".variables must be an object`);
    }
    queries.set(name, { query, variables });
  }
  return queries;
}

/** What a template in the compare file may look up. */
export interface TemplateScope {
  /** The dealgraph workload's variables of the same request. */
  vars: Record<string, unknown>;
  /** Facts of the bench data set (organization, user, workspace, stage ids). */
  facts: Record<string, unknown>;
  /** The request's number. */
  i: number;
  /** One new uuid per request: every "$uuid" in a request is the same. */
  uuid: string;
}

/**
 * The compared endpoint's variables for one request: the workload's own, then the file's on top,
 * each string of the form "$path" replaced by what it names (see `resolveTemplate`).
 */
export function compareVariables(entry: CompareQuery, vars: Record<string, unknown>, facts: Record<string, unknown>, i: number): Record<string, unknown> {
  const scope: TemplateScope = { vars, facts, i, uuid: randomUUID() };
  return { ...vars, ...(resolveTemplate(entry.variables ?? {}, scope) as Record<string, unknown>) };
}

/**
 * Replaces every string "$a.b.c" in `value` (at any depth) with the value at that path of the
 * scope; "{x.y}" inside a path is replaced by the value at x.y first (for lookups keyed by a
 * variable, e.g. "$facts.salesStageIds.{vars.input.stage}"), and a trailing "|lower" lowercases
 * the result. A path that names nothing is an error: a misspelt template must not send null.
 */
export function resolveTemplate(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") return value.startsWith("$") ? lookup(value.slice(1), scope) : value;
  if (Array.isArray(value)) return value.map((item) => resolveTemplate(item, scope));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveTemplate(item, scope)]));
  }
  return value;
}

function lookup(template: string, scope: TemplateScope): unknown {
  const [rawPath, filter] = template.split("|");
  const path = rawPath.replace(/\{([^}]+)\}/g, (_match, inner: string) => String(at(inner, scope, template)));
  const found = at(path, scope, template);
  if (filter === undefined) return found;
  if (filter === "lower" && typeof found === "string") return found.toLowerCase();
  throw new Error(`"$${template}": cannot apply |${filter} to ${JSON.stringify(found)}`);
}

function at(path: string, scope: TemplateScope, template: string): unknown {
  let current: unknown = scope;
  for (const segment of path.split(".")) {
    if (typeof current !== "object" || current === null || !(segment in current)) {
      throw new Error(`"$${template}": nothing at ${path}`);
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * What the compare file's templates may name under `facts`: the bench user and the ids a
 * schema-generated API needs spelt out (dealgraph derives them from the caller and the input).
 */
export async function compareFacts(pool: Pool, dataset: Dataset): Promise<Record<string, unknown>> {
  const user = dataset.users[0];
  const { rows } = await pool.query<{ id: string; key: string; probability: number }>(
    "SELECT id, key, probability FROM stage WHERE pipeline = 'sales' ORDER BY sort_order",
  );
  return {
    organizationId: dataset.organizationId,
    userId: user.id,
    workspaceId: user.workspaceIds[0],
    referralStageIds: dataset.referralStageIds,
    // Keyed as dealgraph's OpportunityStage enum names them (LEAD, QUALIFIED, …).
    salesStageIds: Object.fromEntries(rows.map((stage) => [stage.key.toUpperCase(), stage.id])),
    salesStageProbabilities: Object.fromEntries(rows.map((stage) => [stage.key.toUpperCase(), stage.probability])),
  };
}
