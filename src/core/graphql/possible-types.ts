import { GraphQLSchema, isAbstractType } from "graphql";

/**
 * Every interface and union with the object types that implement it, sorted: what Apollo Client's
 * InMemoryCache needs as `possibleTypes` to match fragments on an interface (`... on PipelineDeal`)
 * against the concrete types in the cache.
 */
export function possibleTypesOf(schema: GraphQLSchema): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const abstract = Object.values(schema.getTypeMap())
    .filter(isAbstractType)
    .filter((type) => !type.name.startsWith("__"))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const type of abstract) result[type.name] = schema.getPossibleTypes(type).map((t) => t.name).sort();
  return result;
}
