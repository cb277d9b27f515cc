import { GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLScalarType, GraphQLString } from "graphql";
import { ClassType, getMetadataStorage } from "type-graphql";
import { InputProblems } from "../errors/field-errors";
import { textProblems } from "../validation/text";

interface FieldPlan {
  name: string;
  type: unknown;
  array: boolean;
}

const plans = new Map<Function, FieldPlan[]>();

/**
 * The input of a command, from a plain object (what JSON.parse gives, or the arguments GraphQL
 * has already coerced): an instance of `inputClass` with the class's own defaults, each given
 * field checked against its declared type, then the class-validator rules. Every problem is
 * collected in the returned InputProblems (nothing thrown yet), so the command can add its
 * reference checks and report everything at once. GraphQL and HTTP adapters call the same
 * command with the same plain values, so both get identical answers.
 */
export async function parseInput<T extends object>(
  inputClass: ClassType<T>,
  plain: unknown,
  prefix = "input",
): Promise<{ input: T; problems: InputProblems }> {
  const input = new inputClass();
  const typeProblems: Array<[field: string, message: string, constraint: string]> = [];
  if (plain === null || typeof plain !== "object" || Array.isArray(plain)) {
    const problems = new InputProblems(prefix);
    problems.addAt(prefix, `${prefix} must be an object`, "isObject");
    return { input, problems };
  }
  const fields = fieldsOf(inputClass);
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(plain)) {
    if (!known.has(key)) typeProblems.push([key, `${key} is not a field of this input`, "isKnownField"]);
  }
  for (const field of fields) {
    const value = (plain as Record<string, unknown>)[field.name];
    if (value === undefined) continue;
    const coerced = field.array ? coerceArray(value, field) : coerce(value, field.type, field.name);
    if (coerced instanceof TypeProblem) typeProblems.push([field.name, coerced.message, coerced.constraint]);
    else (input as Record<string, unknown>)[field.name] = coerced;
  }
  const problems = await InputProblems.of(input, prefix);
  for (const [field, message, constraint] of typeProblems) problems.replace(field, message, constraint);
  return { input, problems };
}

class TypeProblem {
  constructor(
    readonly message: string,
    readonly constraint: string,
  ) {}
}

function coerceArray(value: unknown, field: FieldPlan): unknown {
  if (value === null) return null;
  if (!Array.isArray(value)) return new TypeProblem(`${field.name} must be a list`, "isArray");
  const items = value.map((item) => (item === null ? new TypeProblem(`${field.name} must not contain null`, "isDefined") : coerce(item, field.type, field.name)));
  return items.find((item) => item instanceof TypeProblem) ?? items;
}

function coerce(value: unknown, type: unknown, name: string): unknown {
  if (value === null) return null;
  if (type === String || type === GraphQLString || type === GraphQLID) {
    if (typeof value !== "string") return new TypeProblem(`${name} must be a string`, "isString");
    const [problem] = textProblems(value, name);
    return problem ? new TypeProblem(problem.message, problem.constraint) : value;
  }
  if (type === GraphQLInt) {
    return Number.isInteger(value) ? value : new TypeProblem(`${name} must be a whole number`, "isInt");
  }
  if (type === Number || type === GraphQLFloat) {
    return typeof value === "number" && Number.isFinite(value) ? value : new TypeProblem(`${name} must be a number`, "isNumber");
  }
  if (type === Boolean || type === GraphQLBoolean) {
    return typeof value === "boolean" ? value : new TypeProblem(`${name} must be true or false`, "isBoolean");
  }
  if (type === Date || (typeof type === "object" && (type as { name?: string }).name === "DateTimeISO")) {
    if (value instanceof Date) return value;
    const date = typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
    return date && !Number.isNaN(date.getTime()) ? date : new TypeProblem(`${name} must be an ISO 8601 date-time`, "isDate");
  }
  if (type instanceof GraphQLScalarType) {
    // A custom scalar (Decimal): its own parsing, as GraphQL would apply it.
    try {
      return type.parseValue(value);
    } catch {
      return new TypeProblem(`${name} is not a valid ${type.name}`, `is${type.name}`);
    }
  }
  if (typeof type === "object" && type !== null) {
    // A registered enum: the values a caller may send are the enum's own (the stored spelling).
    const values = Object.values(type);
    return values.includes(value) ? value : new TypeProblem(`${name} must be one of: ${values.join(", ")}`, "isEnum");
  }
  return value;
}

/** The GraphQL fields declared on `inputClass` and the classes it extends, compiled once. */
function fieldsOf(inputClass: Function): FieldPlan[] {
  let plan = plans.get(inputClass);
  if (!plan) {
    plan = getMetadataStorage()
      .fields.filter((f) => f.target === inputClass || inputClass.prototype instanceof f.target)
      .map((f) => ({ name: f.name, type: f.getType(), array: Boolean(f.typeOptions.array) }));
    plans.set(inputClass, plan);
  }
  return plan;
}
