import {
  buildClientSchema,
  DocumentNode,
  getIntrospectionQuery,
  getVariableValues,
  GraphQLSchema,
  IntrospectionQuery,
  Kind,
  OperationDefinitionNode,
  parse,
  print,
  SelectionSetNode,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { postGraphQL, responseProblem } from "./client";

/** The schema the running service serves, read through introspection. */
export async function introspect(url: string, apiKey: string): Promise<GraphQLSchema> {
  const response = await postGraphQL(url, apiKey, { query: getIntrospectionQuery() });
  const problem = responseProblem(response);
  if (problem || !response.json.data) throw new Error(`Introspection failed: ${problem ?? "no data"}`);
  return buildClientSchema(response.json.data as unknown as IntrospectionQuery);
}

/** Which keys of a response value a selection asks for, nested: what a client would see. */
export type Selection = Array<[key: string, nested: Selection | null]>;

export interface PreparedOperation {
  /** The document as sent: the workload's, less any field the schema does not have. */
  query: string;
  /** Fields left out because the schema does not have them (Type.field). */
  dropped: string[];
  /** The response key of the root field and what is selected under it. */
  rootKey: string;
  selection: Selection;
}

/**
 * Fits a workload's document to the schema: `null` with a reason when its root field is
 * missing or the document (or sample variables) cannot be made valid, else the document with
 * unknown fields left out, so the harness runs against whatever part of the API exists.
 */
export function prepareOperation(
  schema: GraphQLSchema,
  document: string,
  sampleVariables: Record<string, unknown>,
): PreparedOperation | { skip: string } {
  const parsed = parse(document);
  const operation = operationOf(parsed);
  const root = operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
  const rootField = operation.selectionSet.selections[0];
  if (rootField.kind !== Kind.FIELD) throw new Error("A workload's document must select one root field");
  if (!root?.getFields()[rootField.name.value]) return { skip: "not in schema" };

  const dropped: string[] = [];
  const typeInfo = new TypeInfo(schema);
  const pruned = visit(
    parsed,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          if (typeInfo.getFieldDef()) return undefined;
          dropped.push(`${typeInfo.getParentType()?.name ?? "?"}.${node.name.value}`);
          return null;
        },
        leave(node) {
          return node.selectionSet && node.selectionSet.selections.length === 0 ? null : undefined;
        },
      },
    }),
  );
  const errors = validate(schema, pruned);
  if (errors.length > 0) return { skip: `document does not fit the schema: ${errors[0].message}` };
  const prunedOperation = operationOf(pruned);
  const coerced = getVariableValues(schema, prunedOperation.variableDefinitions ?? [], sampleVariables);
  if (coerced.errors) return { skip: `variables do not fit the schema: ${coerced.errors[0].message}` };

  const prunedRoot = prunedOperation.selectionSet.selections[0];
  if (prunedRoot.kind !== Kind.FIELD) throw new Error("unreachable: the root selection is a field");
  return {
    query: print(pruned),
    dropped,
    rootKey: prunedRoot.alias?.value ?? prunedRoot.name.value,
    selection: selectionOf(prunedRoot.selectionSet) ?? [],
  };
}

function operationOf(document: DocumentNode): OperationDefinitionNode {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error("A workload's document must hold an operation");
  return operation as OperationDefinitionNode;
}

function selectionOf(set: SelectionSetNode | undefined): Selection | null {
  if (!set) return null;
  return set.selections.flatMap((selection): Selection => {
    if (selection.kind !== Kind.FIELD) throw new Error("Workload documents select fields only (no fragments)");
    return [[selection.alias?.value ?? selection.name.value, selectionOf(selection.selectionSet)]];
  });
}

/**
 * Keeps exactly the selected keys of `value`, in selection order, as the GraphQL response does.
 * A field whose value is a function is computed only when selected: how hand-built responses
 * offer related objects without building the ones nobody asked for.
 */
export function project(value: unknown, selection: Selection | null): unknown {
  const resolved = typeof value === "function" ? (value as () => unknown)() : value;
  if (resolved === null || resolved === undefined) return null;
  if (Array.isArray(resolved)) return resolved.map((item) => project(item, selection));
  if (!selection) return resolved;
  const source = resolved as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, nested] of selection) out[key] = project(source[key], nested);
  return out;
}
