/** A UTF-16 surrogate that is not half of a pair: JSON can carry one ("\ud800"), UTF-8 cannot. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What makes a string unstorable as text, whatever the field: PostgreSQL cannot store NUL, and a
 * lone surrogate is not text. One rule for every way in: GraphQL (input-hygiene.ts) and the
 * commands' plain input (parse-input.ts), which the REST routes use.
 */
export function textProblems(text: string, name: string): Array<{ message: string; constraint: string }> {
  const problems: Array<{ message: string; constraint: string }> = [];
  if (text.includes("\u0000")) problems.push({ message: `${name} must not contain the NUL character`, constraint: "noNulCharacter" });
  if (LONE_SURROGATE.test(text)) {
    problems.push({ message: `${name} must be well-formed Unicode text (it holds a lone surrogate)`, constraint: "isWellFormedText" });
  }
  return problems;
}
