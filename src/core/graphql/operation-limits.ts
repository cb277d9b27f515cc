import { ApolloServerPlugin } from "@apollo/server";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isLeafType,
  isListType,
  Kind,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
  FragmentDefinitionNode,
  getVariableValues,
} from "graphql";
import { ComplexityEstimator, fieldExtensionsEstimator, getComplexity } from "graphql-query-complexity";
import { OperationLimits } from "../../config";
import { OperationLimitError } from "../errors/errors";

/** The header a client sends to run more than one write in one operation. */
export const ALLOW_BATCH_HEADER = "x-allow-batch";

/** Assumed length of a list field that has no `first` argument (facilitators, sharedWith…). */
export const ASSUMED_LIST_LENGTH = 10;

/**
 * What an operation may ask for, checked before anything runs, so that no accepted request can
 * take more than a bounded amount of memory and time. Depth and aliases are graphql-armor's
 * validation rules; tokens are graphql-js's own parser limit (Apollo's `parseOptions`, see
 * app.ts); the cost model, root fields and writes are checked in `operationLimitsPlugin` because
 * they need the variables (a list's cost depends on `first`) and the request's headers.
 * Every refusal is OPERATION_LIMIT_EXCEEDED with the `limit` broken and its `max`, HTTP 400.
 */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  // graphql-armor throws unless told otherwise; reporting instead keeps graphql's own error list.
  const reject = (limit: string, max: number, message: string) => (context: ValidationContext | null) =>
    context?.reportError(new GraphQLError(message, { originalError: new OperationLimitError(limit, max, message) }));
  return [
    maxDepthRule({
      n: limits.maxDepth,
      propagateOnRejection: false,
      onReject: [reject("depth", limits.maxDepth, `The operation is nested deeper than ${limits.maxDepth} levels.`)],
    }),
    maxAliasesRule({
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: [reject("aliases", limits.maxAliases, `The operation uses more than ${limits.maxAliases} aliases.`)],
    }),
  ];
}

/**
 * The cost of a field: 1, plus its selection's cost times how many items it can return. A
 * connection returns `first` items, so its selection counts `first` times (its `edges` list once
 * more would count them twice); any other list of objects counts ASSUMED_LIST_LENGTH times.
 * Introspection is free: its size is the schema's, not the caller's choice.
 */
export const costEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (field.name.startsWith("__")) return 0;
  if (typeof args.first === "number") return 1 + Math.max(args.first, 0) * childComplexity;
  const nullable = getNullableType(field.type);
  const connectionEdges = field.name === "edges" && type.name.endsWith("Connection");
  if (isListType(nullable) && !isLeafType(getNamedType(field.type)) && !connectionEdges) {
    return 1 + ASSUMED_LIST_LENGTH * childComplexity;
  }
  return 1 + childComplexity;
};

export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          if (!operation) return;
          const rootFields = countRootFields(operation.selectionSet, fragmentsOf(document.definitions));
          if (rootFields > limits.maxRootFields) {
            throw new OperationLimitError("rootFields", limits.maxRootFields, `The operation asks for more than ${limits.maxRootFields} root fields.`);
          }
          const batchAllowed = request.http?.headers.get(ALLOW_BATCH_HEADER)?.trim().toLowerCase() === "true";
          if (operation.operation === "mutation" && rootFields > limits.maxWritesUnbatched && !batchAllowed) {
            throw new OperationLimitError(
              "writes",
              limits.maxWritesUnbatched,
              `A mutation may write ${limits.maxWritesUnbatched} root field at a time; send ${ALLOW_BATCH_HEADER}: true to run several in one operation.`,
            );
          }
          // Variables that do not fit their types are reported by execution, as BAD_USER_INPUT;
          // the cost of such an operation is never paid.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 1 });
          if (coerced.errors) return;
          let cost: number;
          try {
            // A field that declares its own cost (type-graphql's `complexity` option) is counted by it.
            const estimators = [fieldExtensionsEstimator(), costEstimator];
            cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: request.operationName ?? undefined, estimators });
          } catch {
            // graphql-query-complexity gives up on documents with too many nodes to visit.
            cost = Number.POSITIVE_INFINITY;
          }
          if (cost > limits.maxCost) {
            throw new OperationLimitError(
              "cost",
              limits.maxCost,
              `The operation could read ${Number.isFinite(cost) ? cost : "too many"} items and fields, more than ${limits.maxCost}: ask for fewer items (first) or fields.`,
            );
          }
        },
      };
    },
  };
}

function fragmentsOf(definitions: readonly { kind: Kind }[]): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      const fragment = definition as FragmentDefinitionNode;
      fragments.set(fragment.name.value, fragment);
    }
  }
  return fragments;
}

/** Root fields, fragments spread in place; __typename is free. */
function countRootFields(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== "__typename") count++;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(selection.selectionSet, fragments, seen);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !seen.has(fragment.name.value)) {
        seen.add(fragment.name.value);
        count += countRootFields(fragment.selectionSet, fragments, seen);
      }
    }
  }
  return count;
}
