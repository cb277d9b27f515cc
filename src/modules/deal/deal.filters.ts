import { IsBoolean, IsOptional } from "class-validator";
import { Field, InputType } from "type-graphql";
import { EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { Viewer } from "../../core/auth/viewer";
import { SortKey } from "../../core/pagination/connection";
import { escapeLike, likePattern, MaxLength } from "../../core/validation/rules";
import { countVisibleDeals } from "./visibility";

export const MAX_SEARCH_LENGTH = 200;

/** The conditions every deal list takes, whatever the kind of deal. */
@InputType("DealListFilter")
export abstract class DealListFilter {
  @Field(() => Boolean, { nullable: true, description: "true: only closed deals (won or lost); false: only open ones." })
  @IsOptional()
  @IsBoolean()
  closed?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "true: only archived deals. Left out or false: archived deals are left out.",
  })
  @IsOptional()
  @IsBoolean()
  archived?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description:
      `Words to find, at most ${MAX_SEARCH_LENGTH} characters: each must appear, in any case and with or without accents, in the ` +
      "deal's name or title or in the name of one of its parties (seeker, provider, connector; customer, primary contact) " +
      "or of their employers. Without orderBy, the best matches come first.",
  })
  @IsOptional()
  @MaxLength(MAX_SEARCH_LENGTH)
  search?: string | null;
}

/** The words of a search, as they are matched: separated by white space, none empty. */
function searchWords(filter: DealListFilter | null): string[] {
  return (filter?.search ?? "").split(/\s+/).filter((word) => word.length > 0);
}

/**
 * Applies the filter's state and search to a deal list (alias `deal`). Each search word is a
 * LIKE on the deal's `search_text` (kept by a trigger, see the deal-search migration), which its
 * trigram index answers; the word is lowered and unaccented by the same SQL function as the text.
 */
export function whereDealListFilter<T extends object>(qb: SelectQueryBuilder<T>, filter: DealListFilter | null): SelectQueryBuilder<T> {
  qb.andWhere(filter?.archived ? "deal.archived_at IS NOT NULL" : "deal.archived_at IS NULL");
  if (filter?.closed === true) qb.andWhere("deal.closed_at IS NOT NULL");
  if (filter?.closed === false) qb.andWhere("deal.closed_at IS NULL");
  const words = searchWords(filter);
  words.forEach((word, i) =>
    qb.andWhere(`deal.search_text LIKE search_words(:searchWord${i})`, { [`searchWord${i}`]: likePattern(word) }).setParameters({
      [`searchWhole${i}`]: `% ${escapeLike(word)} %`,
      [`searchStart${i}`]: `% ${escapeLike(word)}%`,
    }),
  );
  return qb;
}

/** `search_text` between spaces, so that every word of it has a space on either side. */
const SPACED_TEXT = "(' ' || deal.search_text || ' ')";

/**
 * The order of a searched list when no orderBy is given, best first: each word found as a whole
 * word of the text counts 2, at the start of a word 1, only inside a word 0 (the filter has
 * already required every word somewhere). Two LIKEs per word and row: ranking every match by
 * pg_trgm's word_similarity cost 25–35 µs a row, over 50 ms for a word a thousand deals share.
 * The parameters are whereDealListFilter's.
 */
export function searchRelevance(filter: DealListFilter | null): SortKey | null {
  const words = searchWords(filter);
  if (words.length === 0) return null;
  const score = words
    .map((_, i) => `(${SPACED_TEXT} LIKE search_words(:searchWhole${i}))::int + (${SPACED_TEXT} LIKE search_words(:searchStart${i}))::int`)
    .join(" + ");
  return { name: "relevance", expression: `(${score})`, type: "numeric" };
}

/**
 * The statement that counts a deal list from the kept counts (`countVisibleDeals`), when its
 * filter narrows by nothing but `archived`; otherwise undefined, and the list counts its rows.
 */
export function keptCount(db: EntityManager, viewer: Viewer, entity: EntityTarget<ObjectLiteral>, filter: object): SelectQueryBuilder<ObjectLiteral> | undefined {
  const narrowed = Object.entries(filter).some(([name, value]) => name !== "archived" && value !== undefined && value !== null);
  if (narrowed) return undefined;
  return countVisibleDeals(db, viewer, [db.connection.getMetadata(entity).discriminatorValue!], (filter as DealListFilter).archived === true);
}
