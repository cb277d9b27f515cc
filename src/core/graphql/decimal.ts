import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

/**
 * An exact decimal number, as PostGraphile's BigFloat and Shopify's Decimal: written as a string
 * ("50000.1"), so no JSON float rounds it on the way. Input takes a string or a number; what it
 * must look like (sign, decimals, bounds) is the field's own rule (see IsMoneyAmount), which
 * reports it as a field error. Output drops trailing zeros: the column's "50000.1000" is "50000.1".
 */
export const Decimal = new GraphQLScalarType<string | number, string>({
  name: "Decimal",
  description:
    'An exact decimal number, as a string such as "50000.1". Input also takes a JSON number, but a string ' +
    "is never rounded on the way.",
  serialize(value) {
    if (typeof value === "number" && Number.isFinite(value)) return canonicalDecimal(String(value));
    if (typeof value === "string" && DECIMAL.test(value)) return canonicalDecimal(value);
    throw new GraphQLError("Decimal cannot represent this value");
  },
  parseValue(value) {
    if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) return value;
    throw new GraphQLError("A Decimal is a string such as \"50000.1\" or a number.");
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.FLOAT || ast.kind === Kind.INT) return ast.value;
    throw new GraphQLError("A Decimal is a string such as \"50000.1\" or a number.", { nodes: ast });
  },
});

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** "50000.1000" → "50000.1", "7.000" → "7", "0010" → "10". */
export function canonicalDecimal(decimal: string): string {
  const [whole, fraction = ""] = decimal.split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace("-", "").replace(/^0+(?=\d)/, "");
  const kept = fraction.replace(/0+$/, "");
  return `${sign}${digits}${kept ? `.${kept}` : ""}`;
}
