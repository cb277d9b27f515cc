import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import {
  DocumentNode,
  execute,
  ExecutionResult,
  GraphQLError,
  GraphQLSchema,
  isAbstractType,
  isNonNullType,
  Kind,
  OperationDefinitionNode,
  TypeInfo,
  typeFromAST,
  valueFromAST,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";

type GatewayInterface = ApolloServerOptionsWithGateway<Record<string, unknown>>["gateway"];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface["load"]>>["executor"]>;

/** What one execution needs: Apollo's parsed and validated document, and the request's parts. */
export interface ExecutionRequest {
  document: DocumentNode;
  /** The operation Apollo resolved from the document and operationName; absent when none matched. */
  operation?: OperationDefinitionNode | null;
  /** The operationName the client sent (as graphql-js `execute` is given it). */
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  contextValue: unknown;
}

/** Why an execution ran on graphql-js rather than a compiled query. */
export type FallbackReason =
  /** Not a query (mutations and subscriptions run on graphql-js), or no operation matched. */
  | "operation"
  /** The operation's first executions, before `compileAt`. */
  | "cold"
  /** graphql-jit could not compile the document, or the document has a shape it would run differently (see `jitIncompatibility`). */
  | "uncompilable"
  /** The variables did not coerce (graphql-js reports them with its own messages), or hold undefined, which graphql-jit takes for null. */
  | "variables"
  /** The result had errors that graphql-jit does not report exactly as graphql-js (see `sameAsGraphQLJs`): run again on graphql-js. */
  | "errors"
  /** An Apollo plugin watches every field (willResolveField), which only graphql-js execution calls. */
  | "instrumented"
  /** The compiled query threw (graphql-jit failed where graphql-js would not): run again on graphql-js. */
  | "exception";

export interface JitExecutorOptions {
  /** Operations kept (compiled or counted), the least recently used leaving first. */
  maxOperations?: number;
  /**
   * The execution of an operation at which it is compiled: 2 (the default) runs an operation's first
   * execution on graphql-js and compiles it at its second, so that a stream of one-off documents
   * costs no compilation; 1 compiles at once.
   */
  compileAt?: number;
}

export interface JitExecutorStats {
  /** Operations compiled (successfully or not). */
  compilations: number;
  /** Executions that ran a compiled query to the end. */
  compiledExecutions: number;
  /** Executions that ran on graphql-js, by reason. */
  fallbacks: Record<FallbackReason, number>;
  /** Operations in the cache now. */
  cachedOperations: number;
}

/** The operation's compiled query, or why it has none (it then always runs on graphql-js). */
type CompiledOperation = { query: CompiledQuery; nestedVariables: NestedVariable[] } | { unsupported: string };

/** What the cache keeps of an operation: how often it ran, and its compiled query once compiled. */
interface CachedOperation {
  executions: number;
  compiled?: CompiledOperation;
}

/** A variable used inside a list or input object literal: graphql-jit passes null where graphql-js leaves an unset one out. */
interface NestedVariable {
  name: string;
  /** The variable has a default value, so it always has a value at run time. */
  alwaysSet: boolean;
}

/** A compiled list query of the bench takes about 65 KB of heap: 500 of them, some 30 MB. */
export const DEFAULT_JIT_MAX_OPERATIONS = 500;
export const DEFAULT_JIT_COMPILE_AT = 2;

/** Contexts of the executions compiled queries are running now, with how many (see `guardTypeResolvers`). */
const running = new WeakMap<object, number>();

/** The description of the symbol Apollo puts on the context when a plugin implements willResolveField. */
const APOLLO_FIELD_INSTRUMENTATION = "apolloServerExecutionDispatcherWillResolveField";

/**
 * Runs query operations as functions compiled by graphql-jit, with the same results as graphql-js
 * `execute`: data, errors (message, path, locations, extensions, originalError) and null
 * propagation. Every operation graphql-jit cannot run exactly as graphql-js runs on graphql-js
 * (`FallbackReason`): mutations, documents of a shape it handles differently, results with errors
 * it reports differently (run again), and variables that do not coerce.
 *
 * Compiled queries are kept per operation node of Apollo's parsed document (Apollo keeps the
 * parsed, validated document of each query text, so the same text brings the same nodes), in a
 * bounded LRU; an operation is compiled at its `compileAt`-th execution.
 */
export class JitExecutor {
  private readonly operations = new Map<OperationDefinitionNode, CachedOperation>();
  private readonly maxOperations: number;
  private readonly compileAt: number;
  readonly stats: JitExecutorStats = {
    compilations: 0,
    compiledExecutions: 0,
    fallbacks: { operation: 0, cold: 0, uncompilable: 0, variables: 0, errors: 0, instrumented: 0, exception: 0 },
    cachedOperations: 0,
  };

  constructor(
    readonly schema: GraphQLSchema,
    { maxOperations = DEFAULT_JIT_MAX_OPERATIONS, compileAt = DEFAULT_JIT_COMPILE_AT }: JitExecutorOptions = {},
  ) {
    if (!Number.isInteger(maxOperations) || maxOperations < 1) throw new Error("maxOperations must be a whole number of at least 1");
    if (!Number.isInteger(compileAt) || compileAt < 1) throw new Error("compileAt must be a whole number of at least 1");
    this.maxOperations = maxOperations;
    this.compileAt = compileAt;
    guardTypeResolvers(schema);
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const { document, operation, contextValue } = request;
    if (!operation || operation.operation !== "query") return this.fallback("operation", request);
    if (isInstrumented(contextValue)) return this.fallback("instrumented", request);
    const compiled = this.compiled(document, operation);
    if (!compiled) return this.fallback("cold", request);
    if ("unsupported" in compiled) return this.fallback("uncompilable", request);
    const variables = request.variables ?? {};
    if (holdsUndefined(variables)) return this.fallback("variables", request);
    for (const nested of compiled.nestedVariables) {
      if (!nested.alwaysSet && !Object.prototype.hasOwnProperty.call(variables, nested.name)) return this.fallback("uncompilable", request);
    }

    const context = typeof contextValue === "object" && contextValue !== null ? contextValue : undefined;
    if (context) running.set(context, (running.get(context) ?? 0) + 1);
    let result: ExecutionResult;
    try {
      result = await compiled.query.query(undefined, contextValue, variables);
    } catch {
      return this.fallback("exception", request);
    } finally {
      if (context) {
        const count = running.get(context)! - 1;
        if (count === 0) running.delete(context);
        else running.set(context, count);
      }
    }
    // graphql-jit coerces the variables itself, with messages of its own.
    if (!("data" in result)) return this.fallback("variables", request);
    if (!result.errors || result.errors.length === 0) {
      this.stats.compiledExecutions++;
      return { data: result.data };
    }
    const errors = sameAsGraphQLJs(result.errors);
    if (!errors) return this.fallback("errors", request);
    this.stats.compiledExecutions++;
    // graphql-js puts errors first.
    return { errors, data: result.data };
  }

  /** The Apollo Server `gateway` that serves `schema` and runs every operation through `execute`. */
  gateway(): GatewayInterface {
    const { schema } = this;
    const executor: GatewayExecutor = (requestContext) =>
      this.execute({
        document: requestContext.document,
        operation: requestContext.operation,
        operationName: requestContext.request.operationName,
        variables: requestContext.request.variables,
        contextValue: requestContext.context,
      });
    return {
      async load() {
        return { executor };
      },
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: "" });
        return () => {};
      },
      async stop() {},
    };
  }

  /** The operation's compiled query, compiled at its `compileAt`-th execution; undefined before. */
  private compiled(document: DocumentNode, operation: OperationDefinitionNode): CompiledOperation | undefined {
    let cached = this.operations.get(operation);
    if (cached) {
      // The most recently used last.
      this.operations.delete(operation);
      this.operations.set(operation, cached);
    } else {
      cached = { executions: 0 };
      this.operations.set(operation, cached);
      if (this.operations.size > this.maxOperations) this.operations.delete(this.operations.keys().next().value!);
      this.stats.cachedOperations = this.operations.size;
    }
    cached.executions++;
    if (!cached.compiled && cached.executions >= this.compileAt) cached.compiled = this.compile(document, operation.name?.value);
    return cached.compiled;
  }

  private compile(document: DocumentNode, operationName: string | undefined): CompiledOperation {
    this.stats.compilations++;
    // graphql-jit writes its bookkeeping (skip/include conditions) into the field nodes: it gets a copy of its own.
    const copy = copyNodes(document);
    const incompatibility = jitIncompatibility(this.schema, copy, operationName);
    if (typeof incompatibility === "string") return { unsupported: incompatibility };
    let query: CompiledQuery | ExecutionResult;
    try {
      query = compileQuery<Record<string, unknown>, Record<string, unknown>>(this.schema, copy, operationName, {
        useExperimentalPathBasedSkipInclude: true,
      });
    } catch (error) {
      return { unsupported: error instanceof Error ? error.message : String(error) };
    }
    if (!isCompiledQuery(query)) return { unsupported: query.errors?.map((e: GraphQLError) => e.message).join("; ") ?? "not compiled" };
    return { query, nestedVariables: incompatibility.nestedVariables };
  }

  private fallback(reason: FallbackReason, request: ExecutionRequest): Promise<ExecutionResult> {
    this.stats.fallbacks[reason]++;
    return Promise.resolve(
      execute({
        schema: this.schema,
        document: request.document,
        contextValue: request.contextValue,
        variableValues: request.variables,
        operationName: request.operationName,
      }),
    );
  }
}

/** Whether a value has an undefined inside: JSON has none, but executeOperation's callers can pass one. */
function holdsUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(holdsUndefined);
  if (typeof value === "object" && value !== null) return Object.values(value).some(holdsUndefined);
  return false;
}

function isInstrumented(contextValue: unknown): boolean {
  if (typeof contextValue !== "object" || contextValue === null) return false;
  return Object.getOwnPropertySymbols(contextValue).some((symbol) => symbol.description === APOLLO_FIELD_INSTRUMENTATION);
}

/**
 * graphql-jit's errors as graphql-js reports them, when it can be told for certain: one error,
 * raised by a resolver (an exception or a returned Error). Anything else (several errors, whose
 * order and number under null propagation graphql-jit does not keep; its own messages for null in a
 * non-null field, a value a scalar cannot serialize or an abstract type it cannot resolve) is null:
 * the operation is then run again on graphql-js.
 */
function sameAsGraphQLJs(errors: readonly GraphQLError[]): GraphQLError[] | null {
  if (errors.length !== 1) return null;
  const [error] = errors;
  const original = error.originalError;
  if (!(original instanceof Error) || !Array.isArray(error.path)) return null;
  // graphql-js's locatedError: an error that already has a path is passed on as it is.
  if (original instanceof GraphQLError && Array.isArray(original.path)) return [original];
  const located = new GraphQLError(original.message, {
    nodes: (original as Partial<GraphQLError>).nodes,
    source: (original as Partial<GraphQLError>).source,
    positions: (original as Partial<GraphQLError>).positions,
    path: error.path,
    originalError: original,
  });
  // graphql-js computes them from the field's nodes, graphql-jit from the same nodes at compile time.
  if (!located.nodes) (located as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return [located];
}

/**
 * Why graphql-jit would run an operation of this document otherwise than graphql-js, or the
 * variables it needs checked at run time:
 * - @skip or @include on a fragment: graphql-jit skips a fragment spread again after one excluded
 *   spread of it, where graphql-js includes the later one. Inline fragments share that
 *   bookkeeping of graphql-jit's, so their directives are left to graphql-js too. (On fields
 *   graphql-jit applies them as graphql-js does.)
 * - A variable default that is not plain JSON (a DateTimeISO default is a Date): graphql-jit
 *   passes it through JSON and so would hand resolvers a string.
 * - A nullable variable in a non-null place inside a list or input object literal: graphql-js
 *   refuses a null there, graphql-jit passes it on.
 * - A variable inside a list or input object literal that the request leaves unset: graphql-js
 *   leaves the field out (or uses its default), graphql-jit passes null. Checked per request.
 */
export function jitIncompatibility(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
): string | { nestedVariables: NestedVariable[] } {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
  if (!operation) return "no operation";

  const definitions = new Map((operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d]));
  for (const definition of definitions.values()) {
    if (!definition.defaultValue) continue;
    const type = typeFromAST(schema, definition.type as Parameters<typeof typeFromAST>[1]);
    if (!type) return `unknown type of $${definition.variable.name.value}`;
    if (!isPlainJson(valueFromAST(definition.defaultValue, type as Parameters<typeof valueFromAST>[1]))) {
      return `the default of $${definition.variable.name.value} is not plain JSON`;
    }
  }

  let problem: string | undefined;
  const nested = new Map<string, NestedVariable>();
  const typeInfo = new TypeInfo(schema);
  // Literal depth inside an argument: 0 for the argument's own value.
  let literalDepth = 0;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      FragmentSpread(node) {
        if (hasSkipOrInclude(node.directives)) problem = "@skip or @include on a fragment spread";
      },
      InlineFragment(node) {
        if (hasSkipOrInclude(node.directives)) problem = "@skip or @include on an inline fragment";
      },
      ListValue: { enter: () => void literalDepth++, leave: () => void literalDepth-- },
      ObjectValue: { enter: () => void literalDepth++, leave: () => void literalDepth-- },
      Variable(node) {
        if (literalDepth === 0) return;
        const name = node.name.value;
        const definition = definitions.get(name);
        // A variable of another operation of the document.
        if (!definition) return;
        const location = typeInfo.getInputType();
        if (location && isNonNullType(location) && definition.type.kind !== Kind.NON_NULL_TYPE) {
          problem = `nullable $${name} in a non-null place inside a literal`;
        }
        const alwaysSet = definition.type.kind === Kind.NON_NULL_TYPE || definition.defaultValue !== undefined;
        nested.set(name, { name, alwaysSet: alwaysSet && (nested.get(name)?.alwaysSet ?? true) });
      },
    }),
  );
  if (problem) return problem;
  return { nestedVariables: [...nested.values()].filter((v) => !v.alwaysSet) };
}

/** A copy of an AST whose nodes are new objects; their locations (never written) are shared. */
function copyNodes<T>(node: T): T {
  if (Array.isArray(node)) return node.map(copyNodes) as T;
  if (typeof node !== "object" || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = key === "loc" ? value : copyNodes(value);
  return copy as T;
}

function hasSkipOrInclude(directives: readonly { name: { value: string } }[] | undefined): boolean {
  return directives?.some((d) => d.name.value === "skip" || d.name.value === "include") ?? false;
}

function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value === "object") {
    const prototype = Object.getPrototypeOf(value);
    return (prototype === Object.prototype || prototype === null) && Object.values(value as object).every(isPlainJson);
  }
  return false;
}

/**
 * graphql-jit calls an abstract type's resolveType outside any try: one that throws after a
 * resolver's promise would leave the query waiting forever and the rejection unhandled. While a
 * compiled query runs with a context, its abstract types' resolveType answers null instead of
 * throwing; graphql-jit then reports an error of its own, and the operation is run again on
 * graphql-js, where the resolver's own error is reported as usual. Outside compiled queries (every
 * graphql-js execution, subscriptions included) resolveType is called exactly as it was.
 */
function guardTypeResolvers(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isAbstractType(type) || !type.resolveType) continue;
    const resolveType = type.resolveType;
    if ((resolveType as { jitGuarded?: boolean }).jitGuarded) continue;
    const guarded: typeof resolveType = (value, context, info, abstractType) => {
      if (typeof context !== "object" || context === null || !running.has(context)) return resolveType(value, context, info, abstractType);
      try {
        return resolveType(value, context, info, abstractType);
      } catch {
        return undefined;
      }
    };
    (guarded as { jitGuarded?: boolean }).jitGuarded = true;
    type.resolveType = guarded;
  }
}
