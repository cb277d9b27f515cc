import { ApolloServerPlugin } from "@apollo/server";
import {
  getNamedType,
  getNullableType,
  ArgumentNode,
  isNonNullType,
  GraphQLInputType,
  GraphQLID,
  isInputObjectType,
  isListType,
  Kind,
  TypeInfo,
  ValueNode,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { FieldError, InputError } from "../errors/errors";
import { textProblems } from "../validation/text";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one place every string of an operation is checked before anything runs: each argument of
 * each field, written in the document or passed as a variable, however deeply nested in an input.
 * - NUL characters and lone surrogates are refused (PostgreSQL cannot store the first, and the
 *   second is not text), as BAD_USER_INPUT field errors at the argument's path (`input.name`),
 *   HTTP 400, before any resolver runs.
 * - An ID that is a UUID is lower-cased, so ids are accepted in any case everywhere (the database
 *   and the loaders compare them as lower-case text).
 * Lengths are the input classes' rules (MaxLength in validation/rules.ts counts code points).
 */
export const inputHygienePlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, schema, request }) {
        const variables = (request.variables ?? {}) as Record<string, unknown>;
        const problems: FieldError[] = [];
        const typeInfo = new TypeInfo(schema);
        visit(
          document,
          visitWithTypeInfo(typeInfo, {
            Field(node) {
              // Runs before the field's arguments are visited, with the field's definition at hand.
              const field = typeInfo.getFieldDef();
              if (field && node.arguments?.length) omitNullInputObjects(node.arguments as ArgumentNode[], field.args, variables);
            },
            Argument(node) {
              const argument = typeInfo.getArgument();
              if (argument) checkLiteral(node.value, argument.type, argument.name, variables, problems);
            },
          }),
        );
        if (problems.length > 0) throw new InputError(dedupe(problems), { status: 400 });
      },
    };
  },
};

/**
 * `filter: null` means what leaving `filter` out means, on every list: an explicit null for an
 * optional input object (filter, orderBy) is dropped, so every resolver sees `undefined` and its
 * defaults apply.
 */
function omitNullInputObjects(
  args: ArgumentNode[],
  definitions: ReadonlyArray<{ name: string; type: GraphQLInputType }>,
  variables: Record<string, unknown>,
): void {
  for (let i = args.length - 1; i >= 0; i--) {
    const definition = definitions.find((d) => d.name === args[i].name.value);
    if (!definition || isNonNullType(definition.type) || !isInputObjectType(definition.type)) continue;
    const value = args[i].value;
    if (value.kind === Kind.NULL) args.splice(i, 1);
    else if (value.kind === Kind.VARIABLE && variables[value.name.value] === null) delete variables[value.name.value];
  }
}

function checkLiteral(node: ValueNode, type: GraphQLInputType, path: string, variables: Record<string, unknown>, problems: FieldError[]): void {
  const nullable = getNullableType(type) as GraphQLInputType;
  switch (node.kind) {
    case Kind.VARIABLE:
      if (node.name.value in variables) variables[node.name.value] = checkValue(variables[node.name.value], type, path, problems);
      return;
    case Kind.STRING:
      checkText(node.value, path, problems);
      // Documents are parsed per request (or cached already normalized): rewriting is safe.
      if (getNamedType(type) === GraphQLID && UUID.test(node.value)) (node as { value: string }).value = node.value.toLowerCase();
      return;
    case Kind.LIST:
      node.values.forEach((item, index) =>
        checkLiteral(item, isListType(nullable) ? nullable.ofType : nullable, `${path}.${index}`, variables, problems),
      );
      return;
    case Kind.OBJECT: {
      const fields = isInputObjectType(nullable) ? nullable.getFields() : {};
      for (const field of node.fields) {
        const fieldType = fields[field.name.value]?.type;
        if (fieldType) checkLiteral(field.value, fieldType, `${path}.${field.name.value}`, variables, problems);
      }
      return;
    }
    default:
      return;
  }
}

/** Checks a variable's value against its place in the schema; returns it with UUID ids lower-cased. */
function checkValue(value: unknown, type: GraphQLInputType, path: string, problems: FieldError[]): unknown {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (typeof value === "string") {
    checkText(value, path, problems);
    return getNamedType(type) === GraphQLID && UUID.test(value) ? value.toLowerCase() : value;
  }
  if (Array.isArray(value)) {
    const itemType = isListType(nullable) ? (nullable.ofType as GraphQLInputType) : nullable;
    return value.map((item, index) => checkValue(item, itemType, `${path}.${index}`, problems));
  }
  if (value !== null && typeof value === "object" && isInputObjectType(nullable)) {
    const fields = nullable.getFields();
    const object = value as Record<string, unknown>;
    for (const [name, fieldValue] of Object.entries(object)) {
      const field = fields[name];
      if (field) object[name] = checkValue(fieldValue, field.type, `${path}.${name}`, problems);
    }
  }
  return value;
}

function checkText(text: string, path: string, problems: FieldError[]): void {
  const name = path.split(".").filter((part) => !/^\d+$/.test(part)).pop() ?? path;
  for (const problem of textProblems(text, name)) problems.push({ path, ...problem });
}

/** A variable used twice is reported once. */
function dedupe(problems: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.constraint}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
