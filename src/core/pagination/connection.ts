import { isUUID, Max, Min } from "class-validator";
import { ArgsType, ClassType, Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLResolveInfo, Kind, SelectionNode } from "graphql";
import { EntityManager, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { entityFromRaw } from "../db/hydrate";
import { queryPrepared } from "../db/prepared";
import { Extra, selectWithExtras } from "../db/with-extras";
import { InputError } from "../errors/errors";

export const MAX_PAGE_SIZE = 100;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 20, description: `How many items, 1 to ${MAX_PAGE_SIZE}.` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number = 20;

  @Field(() => String, { nullable: true, description: "Return the items after this cursor (an edge's cursor)." })
  after?: string | null;
}

@ObjectType({ description: "Where a page of a list stands, and how to ask for the next one." })
export class PageInfo {
  @Field({ description: "true when more items follow this page: pass endCursor as `after` to get them." })
  hasNextPage: boolean;

  @Field({ description: "true when the page was asked for with `after` (items come before it); false for the first page." })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: "The cursor of the page's first edge; null when the page is empty." })
  startCursor: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The cursor of the page's last edge, to pass as `after` for the next page; null when the page is empty.",
  })
  endCursor: string | null;
}

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  /** Counted only when the totalCount field is asked for. */
  count: () => Promise<number>;
}

/** Builds the Relay connection type for `nodeType`: `XConnection { edges { cursor node } pageInfo totalCount }`. */
export function ConnectionType<T extends object>(nodeType: ClassType<T>, name = nodeType.name) {
  @ObjectType(`${name}Edge`, { description: `One ${name} of a page, with the cursor that continues the list after it.` })
  class Edge {
    @Field({ description: "Opaque and stable: pass it as `after` to continue from here." })
    cursor: string;

    @Field(() => nodeType, { description: `The ${name}.` })
    node: T;
  }

  @ObjectType(`${name}ConnectionBase`)
  abstract class Connection implements Page<T> {
    @Field(() => [Edge], { description: `This page's ${name} items, in the list's order, each with its cursor; [] when none match.` })
    edges: Edge[];

    @Field(() => PageInfo, { description: "Whether more items follow, and the cursors to continue with." })
    pageInfo: PageInfo;

    count: () => Promise<number>;

    @Field(() => Int, { description: "How many items match the filter, on all pages." })
    totalCount(): Promise<number> {
      return this.count();
    }
  }
  return Connection;
}

/** One ordering a list offers: an SQL expression that is never NULL, and its type for cursors. */
export interface SortKey {
  /** Written into cursors, so a cursor from one ordering is refused by another. */
  name: string;
  expression: string;
  type: keyof typeof CURSOR_VALUE_CHECKS;
}

/**
 * What a cursor's sort value may be, per type: exactly what this service writes into the cursors
 * it gives out (PostgreSQL's text form of the value), so an invented cursor is refused here as
 * BAD_USER_INPUT instead of failing in SQL (month 13, a 140,000-digit number, a NUL).
 */
const CURSOR_VALUE_CHECKS = {
  timestamptz: isTimestamp,
  // numeric(19,4): at most 15 digits before the point and 4 after; 30 leaves room to spare.
  numeric: (value: string) => /^-?\d{1,30}(\.\d{1,30})?$/.test(value),
  text: (value: string) => value.length <= 4000 && !/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value),
};

/** PostgreSQL's text form of a timestamptz (`2026-11-27 21:04:46.123+00`), with a real date and time. */
function isTimestamp(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2}(:\d{2})?|Z)?$/.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
}

/** Longer than any cursor this service writes: not worth decoding. */
const MAX_CURSOR_LENGTH = 6000;

export enum OrderDirection {
  ASC = "ASC",
  DESC = "DESC",
}
registerEnumType(OrderDirection, {
  name: "OrderDirection",
  description: "Ascending or descending; ties are broken by id.",
  valuesConfig: {
    ASC: { description: "Ascending: smallest, oldest or first in the alphabet first." },
    DESC: { description: "Descending: largest, newest or last in the alphabet first." },
  },
});

/** What a list asks of `paginate` besides the page itself. */
export interface PageOptions<T extends ObjectLiteral> {
  /**
   * Count the matching rows in the page's own statement (the totalCount field is selected, see
   * `asksForTotalCount`). Without it the count is left to `Page.count`, one statement more, sent
   * only if the field is resolved after all.
   */
  withCount?: boolean;
  /**
   * A cheaper statement that counts the same rows as `qb` (one column, `count`); without it the
   * count is `qb`'s rows counted. Its parameters must not name one of `qb`'s for another value.
   */
  count?: SelectQueryBuilder<ObjectLiteral>;
  /**
   * A JSON value computed once over the page's rows (the CTE `main`: raw column names such as
   * `deal_stage_id`) in the page's own statement, and what to do with it and the ids of the
   * page's nodes: the rows a list's relations name, to prime their loaders with (see
   * core/loaders/related.ts).
   */
  related?: { sql: string; use: (value: unknown, ids: string[]) => void };
  /**
   * Send the page's statement as a named prepared statement (see prepared.ts), when the list's
   * text is the same from request to request and a generic plan suits it.
   */
  prepare?: boolean;
  /** Sees every node with its raw row, to take what the query joined (and prime a loader with it). */
  eachRow?: (node: T, row: Record<string, unknown>) => void;
}

/**
 * Keyset pagination over `qb` (already filtered): ordered by the sort key then by id, so the
 * order is total and a cursor, which holds the last row's exact sort value and id, stays valid
 * however many rows are added or removed before it. Joins must be to-one (an employer), so that
 * a row is a node and the total is a plain count. One statement, whatever the options.
 */
export async function paginate<T extends ObjectLiteral>(
  db: EntityManager,
  qb: SelectQueryBuilder<T>,
  { first, after }: PageArgs,
  sort: SortKey,
  direction: OrderDirection,
  { withCount = false, count, related, prepare = false, eachRow }: PageOptions<T> = {},
): Promise<Page<T>> {
  const alias = qb.alias;
  // count(*), not TypeORM's getCount(): that counts DISTINCT ids over the joins, which costs
  // twenty times as much on the people list, and a list's joins are to-one, so the counts agree.
  const countQuery = count ?? qb.clone().select("count(*)", "count").orderBy();
  const keyset = `(${sort.expression}, ${alias}.id)`;
  const page = qb
    .clone()
    .addSelect(`(${sort.expression})::text`, "cursor_value")
    .orderBy(sort.expression, direction)
    .addOrderBy(`${alias}.id`, direction)
    .limit(first + 1);
  if (after) {
    const [value, id] = decodeCursor(after, sort);
    page.andWhere(`${keyset} ${direction === "ASC" ? ">" : "<"} (CAST(:cursorValue AS ${sort.type}), CAST(:cursorId AS uuid))`, {
      cursorValue: value,
      cursorId: id,
    });
  }
  let rows: Array<Record<string, unknown>>;
  let total: number | undefined;
  let relatedValue: unknown;
  if (withCount || related) {
    const extras: Extra[] = [];
    if (withCount) extras.push({ name: "total_count", sql: countQuery.getQuery(), type: "bigint" });
    if (related) extras.push({ name: "related", sql: related.sql, type: "json" });
    const found = await selectWithExtras(db, page, extras, {
      parameters: countQuery.getParameters(),
      order: `${sort.expression} ${direction}, ${alias}.id ${direction}`,
      prepare,
    });
    rows = found.rows;
    if (withCount) total = Number(found.extras.total_count);
    relatedValue = found.extras.related;
  } else {
    rows = prepare ? await queryPrepared(db, ...page.getQueryAndParameters()) : await page.getRawMany();
  }
  const edges = rows.slice(0, first).map((row) => {
    const node = entityFromRaw<T>(page, row)!;
    eachRow?.(node, row);
    return { node, cursor: encodeCursor(sort, row.cursor_value as string, node.id) };
  });
  related?.use(relatedValue, edges.map((edge) => edge.node.id));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    count: async () => total ?? Number((await countQuery.getRawOne<{ count: string }>())!.count),
  };
}

/**
 * Whether the list field being resolved selects `totalCount`, directly or through a fragment:
 * then the count comes in the page's own statement. A miss is never wrong, only slower
 * (`Page.count` counts on its own), so @skip and @include are not looked at.
 */
export function asksForTotalCount(info: GraphQLResolveInfo): boolean {
  const selects = (selections: readonly SelectionNode[]): boolean =>
    selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === "totalCount";
      if (selection.kind === Kind.INLINE_FRAGMENT) return selects(selection.selectionSet.selections);
      const fragment = info.fragments[selection.name.value];
      return fragment ? selects(fragment.selectionSet.selections) : false;
    });
  return info.fieldNodes.some((node) => node.selectionSet !== undefined && selects(node.selectionSet.selections));
}

/**
 * The cursor of the item whose sort value (PostgreSQL's text form, `(expression)::text`) and id
 * are given: for queries that page several lists at once (the pipeline board) and must hand out
 * the cursors `paginate` then continues from.
 */
export function encodeCursor(sort: SortKey, value: string, id: string): string {
  return Buffer.from(JSON.stringify([sort.name, value, id])).toString("base64url");
}

function decodeCursor(cursor: string, sort: SortKey): [string, string] {
  let decoded: unknown;
  try {
    decoded = cursor.length <= MAX_CURSOR_LENGTH ? JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) : undefined;
  } catch {
    decoded = undefined;
  }
  if (
    Array.isArray(decoded) &&
    decoded.length === 3 &&
    decoded[0] === sort.name &&
    typeof decoded[1] === "string" &&
    CURSOR_VALUE_CHECKS[sort.type](decoded[1]) &&
    typeof decoded[2] === "string" &&
    isUUID(decoded[2])
  ) {
    return [decoded[1], decoded[2]];
  }
  throw new InputError([
    { path: "after", message: "after is not a cursor this list gave out for this ordering", constraint: "isCursor" },
  ]);
}
