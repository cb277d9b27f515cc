import {
  DocumentNode,
  execute,
  ExecutionResult,
  getIntrospectionQuery,
  getOperationAST,
  GraphQLEnumType,
  GraphQLError,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  Kind,
  parse,
} from "graphql";
import { GraphQLDateTimeISO } from "graphql-scalars";
import { FallbackReason, JitExecutor, JitExecutorOptions } from "../src/core/graphql/jit-executor";

/**
 * The JIT executor against graphql-js's `execute` on a schema made for it: every operation runs
 * on both, and the results must be the same to the byte (data, error messages, paths, locations,
 * extensions) with the same original errors; each case also says whether the compiled query ran
 * or which fallback did, so that a case cannot pass by falling back unnoticed.
 */

interface Person {
  id: string;
  name: string | null;
  mood: string | null;
  bossId: string | null;
  born: Date | null;
  wealth: string | null;
}
interface Company {
  id: string;
  title: string;
  staffIds: string[];
}

const PEOPLE: Person[] = [
  { id: "p1", name: "Ada", mood: "HAPPY", bossId: null, born: new Date("1815-12-10T00:00:00Z"), wealth: "100.50" },
  { id: "p2", name: "Grace", mood: "SAD", bossId: "p1", born: null, wealth: "7" },
  { id: "p3", name: null, mood: null, bossId: "p2", born: new Date("1906-12-09T00:00:00Z"), wealth: null },
];
const COMPANIES: Company[] = [{ id: "c1", title: "Engines Ltd", staffIds: ["p1", "p2"] }];
const byId = (id: string): Person | Company | undefined => PEOPLE.find((p) => p.id === id) ?? COMPANIES.find((c) => c.id === id);
const later = <T>(value: T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(value)));
const failLater = (error: Error): Promise<never> => new Promise((_resolve, reject) => setImmediate(() => reject(error)));

/** A coded error, as the service's resolvers throw them. */
class CodedError extends Error {
  constructor(
    message: string,
    readonly extensions: Record<string, unknown>,
  ) {
    super(message);
  }
}


const Money = new GraphQLScalarType<string, string>({
  name: "Money",
  serialize(value) {
    if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value)) return value.replace(/\.?0+$/, "");
    throw new GraphQLError("Money cannot represent this value");
  },
  parseValue(value) {
    if (typeof value === "string") return value;
    throw new GraphQLError("Money is a string");
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING) return ast.value;
    throw new GraphQLError("Money is a string", { nodes: ast });
  },
});
const Mood = new GraphQLEnumType({ name: "Mood", values: { HAPPY: { value: "happy" }, SAD: { value: "sad" } } });
const moodOf = (person: Person) => (person.mood === null ? null : person.mood.toLowerCase());

const Node: GraphQLInterfaceType = new GraphQLInterfaceType({
  name: "Node",
  fields: { id: { type: new GraphQLNonNull(GraphQLID) } },
  resolveType: (value: Person | Company) => ("title" in value ? "Company" : "Person"),
});

const Filter = new GraphQLInputObjectType({
  name: "Filter",
  fields: {
    name: { type: GraphQLString },
    mood: { type: Mood, defaultValue: "happy" },
    minWealth: { type: Money },
    ids: { type: new GraphQLList(new GraphQLNonNull(GraphQLID)) },
    bornAfter: { type: GraphQLDateTimeISO },
  },
});

const PersonType: GraphQLObjectType = new GraphQLObjectType<Person>({
  name: "Person",
  interfaces: [Node],
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLID) },
    name: { type: GraphQLString },
    mood: { type: Mood, resolve: moodOf },
    born: { type: GraphQLDateTimeISO },
    wealth: { type: Money },
    boss: { type: PersonType, resolve: (person) => (person.bossId ? later(byId(person.bossId)) : null) },
    friends: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(PersonType))),
      args: { first: { type: GraphQLInt, defaultValue: 2 } },
      resolve: (person, { first }) => PEOPLE.filter((p) => p.id !== person.id).slice(0, first),
    },
    fails: {
      type: GraphQLString,
      resolve: (person) => {
        throw new CodedError(`no luck for ${person.id}`, { code: "NOT_FOUND" });
      },
    },
    failsLater: { type: GraphQLString, resolve: (person) => failLater(new CodedError(`later for ${person.id}`, { code: "SERVICE_UNAVAILABLE" })) },
    required: { type: new GraphQLNonNull(GraphQLString), resolve: () => failLater(new CodedError("required failed", { code: "BAD_USER_INPUT" })) },
    missing: { type: new GraphQLNonNull(GraphQLString), resolve: () => null },
    plainFails: {
      type: GraphQLString,
      resolve: () => {
        throw new TypeError("a bug, with no extensions");
      },
    },
    returnsError: { type: GraphQLString, resolve: () => new CodedError("returned, not thrown", { code: "FORBIDDEN" }) },
    located: {
      type: GraphQLString,
      resolve: () => {
        throw new GraphQLError("already located", { path: ["elsewhere", 1], extensions: { code: "CONFLICT" } });
      },
    },
    badMoney: { type: Money, resolve: () => "not money" },
    brokenList: {
      type: new GraphQLList(GraphQLString),
      resolve: () => ({
        [Symbol.iterator]() {
          return {
            next(): IteratorResult<string> {
              throw new Error("the iterator broke");
            },
          };
        },
      }),
    },
  }),
});

const CompanyType = new GraphQLObjectType<Company>({
  name: "Company",
  interfaces: [Node],
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    title: { type: new GraphQLNonNull(GraphQLString) },
    staff: { type: new GraphQLList(PersonType), resolve: (company) => company.staffIds.map((id) => later(byId(id))) },
  },
});

const Party = new GraphQLUnionType({
  name: "Party",
  types: [PersonType, CompanyType],
  resolveType: (value: Person | Company | { broken: true }) => {
    if ("broken" in value) throw new CodedError("cannot tell what this is", { code: "INTERNAL_SERVER_ERROR" });
    return "title" in value ? "Company" : "Person";
  },
});

const Query = new GraphQLObjectType({
  name: "Query",
  fields: {
    people: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(PersonType))),
      args: { filter: { type: Filter }, first: { type: GraphQLInt, defaultValue: 10 } },
      resolve: (_root, { filter, first }) =>
        later(
          PEOPLE.filter((p) => !filter?.name || p.name === filter.name)
            .filter((p) => !filter?.ids || filter.ids.includes(p.id))
            .slice(0, first),
        ),
    },
    node: { type: Node, args: { id: { type: new GraphQLNonNull(GraphQLID) } }, resolve: (_root, { id }) => later(byId(id)) },
    party: { type: Party, args: { id: { type: new GraphQLNonNull(GraphQLID) } }, resolve: (_root, { id }) => later(id === "broken" ? { broken: true } : byId(id)) },
    parties: { type: new GraphQLList(Party), resolve: () => [...PEOPLE, ...COMPANIES] },
    /** What its arguments arrived as, own keys only, to compare what each executor hands a resolver. */
    echo: {
      type: GraphQLString,
      args: {
        filter: { type: Filter },
        text: { type: GraphQLString, defaultValue: "default" },
        when: { type: GraphQLDateTimeISO },
        list: { type: new GraphQLList(GraphQLString) },
        count: { type: new GraphQLNonNull(GraphQLInt), defaultValue: 3 },
      },
      resolve: (_root, args) => JSON.stringify(described(args)),
    },
  },
});

const Mutation = new GraphQLObjectType({
  name: "Mutation",
  fields: { rename: { type: PersonType, args: { id: { type: new GraphQLNonNull(GraphQLID) } }, resolve: (_root, { id }) => byId(id) } },
});

/**
 * Arguments as JSON that tells undefined, null, dates and missing keys apart. Keys are sorted:
 * graphql-jit lays out an argument object's keys in another order (those with defaults first),
 * which type-graphql does not pass on (it rebuilds arguments and inputs in declaration order).
 */
function described(value: unknown): unknown {
  if (value === undefined) return "<undefined>";
  if (value instanceof Date) return `<date ${value.toISOString()}>`;
  if (Array.isArray(value)) return value.map(described);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, described(v)]));
  }
  return value;
}

const schema = new GraphQLSchema({ query: Query, mutation: Mutation, types: [PersonType, CompanyType] });

function executorFor(options: JitExecutorOptions = {}) {
  return new JitExecutor(schema, { compileAt: 1, ...options });
}

/** A result as a client and the service's error formatter see it: the JSON, and each error's original error. */
function seen(result: ExecutionResult) {
  return {
    json: JSON.stringify({ errors: result.errors?.map((e) => e.toJSON()), data: result.data }),
    // What Apollo reads of each error besides its JSON: graphql-js's class, and extensions always an object.
    errors: (result.errors ?? []).map((e) => ({ graphqlJs: e.constructor === GraphQLError, extensions: e.extensions })),
    originals: (result.errors ?? []).map((e) => {
      const original = e.originalError as (Error & { extensions?: unknown }) | undefined;
      return original && { type: original.constructor.name, message: original.message, extensions: original.extensions };
    }),
  };
}

function request(document: DocumentNode, variables?: Record<string, unknown>, operationName?: string) {
  return { document, operation: getOperationAST(document, operationName), operationName, variables, contextValue: {} };
}

/**
 * Runs `query` on graphql-js and on the JIT executor (each with its own parse of the text, as
 * Apollo's cache would hold one) and expects the same result; `via` is what ran it on the JIT side.
 */
async function same(query: string, variables: Record<string, unknown> | undefined, via: "compiled" | FallbackReason, executor = executorFor(), operationName?: string) {
  const expected = await execute({ schema, document: parse(query), variableValues: variables, operationName, contextValue: {} });
  const before = structuredClone(executor.stats);
  const actual = await executor.execute(request(parse(query), variables, operationName));
  expect(seen(actual)).toEqual(seen(expected));
  if (via === "compiled") {
    expect(executor.stats.compiledExecutions).toBe(before.compiledExecutions + 1);
    expect(executor.stats.fallbacks).toEqual(before.fallbacks);
  } else {
    expect(executor.stats.compiledExecutions).toBe(before.compiledExecutions);
    expect(executor.stats.fallbacks[via]).toBe(before.fallbacks[via] + 1);
  }
  return actual;
}

describe("the JIT executor runs queries as graphql-js does", () => {
  it("lists with nested fields, aliases, fragments and __typename", async () => {
    const query = `
      query People($first: Int) {
        people(first: $first) {
          __typename id name mood born wealth
          who: name
          ...Boss
          friends { id ... on Person { name friends(first: 1) { id } } }
        }
      }
      fragment Boss on Person { boss { id name boss { id name } } }`;
    await same(query, { first: 3 }, "compiled");
    await same(query, {}, "compiled");
  });

  it("abstract types: an interface and a union, alone and in lists, with inline fragments and __typename", async () => {
    const query = `
      query Abstract($id: ID!, $other: ID!) {
        node(id: $id) { __typename id ... on Person { name } ... on Company { title staff { id name } } }
        party(id: $other) { __typename ... on Company { title } ... on Person { id mood } }
        parties { __typename ... on Node { id } ... on Company { staff { name } } }
      }`;
    await same(query, { id: "c1", other: "p2" }, "compiled");
    await same(query, { id: "p3", other: "c1" }, "compiled");
    await same(query, { id: "nobody", other: "nobody" }, "compiled");
  });

  it("an error in a nullable field: its message, path, locations, extensions and original error", async () => {
    const result = await same(`{ people(first: 1) { id fails } }`, undefined, "compiled");
    expect(result.errors![0].path).toEqual(["people", 0, "fails"]);
    expect(result.errors![0].extensions).toEqual({ code: "NOT_FOUND" });
    expect(result.errors![0]).toBeInstanceOf(GraphQLError);
    await same(`{ node(id: "p2") { ... on Person { failsLater } } }`, undefined, "compiled");
    await same(`{ node(id: "p2") { ... on Person { returnsError } } }`, undefined, "compiled");
    await same(`{ node(id: "p2") { id ... on Person { plainFails } } }`, undefined, "compiled");
  });

  it("an error that already has a path is passed on as it is", async () => {
    const result = await same(`{ node(id: "p1") { ... on Person { located } } }`, undefined, "compiled");
    expect(result.errors![0].path).toEqual(["elsewhere", 1]);
  });

  it("null propagation: an error in a non-null field nulls the nearest nullable parent", async () => {
    await same(`{ node(id: "p1") { id ... on Person { boss { id } required } } }`, undefined, "compiled");
    await same(`query { people(first: 1) { id required } }`, undefined, "compiled");
    await same(`{ party(id: "c1") { ... on Company { staff { id required } } } }`, undefined, "errors");
  });

  it("errors graphql-jit words or orders otherwise are run again on graphql-js", async () => {
    // Several errors.
    await same(`{ people { id fails } }`, undefined, "errors");
    // Null in a non-null field, a value the scalar refuses.
    await same(`{ people(first: 1) { id missing } }`, undefined, "errors");
    await same(`{ node(id: "p1") { ... on Person { badMoney } } }`, undefined, "errors");
  });

  it("an abstract type whose resolveType throws after a resolver's promise: no hang, graphql-js's error", async () => {
    await same(`{ party(id: "broken") { __typename } }`, undefined, "errors");
    // Outside compiled queries resolveType throws as it always did.
    const direct = await execute({ schema, document: parse(`{ party(id: "broken") { __typename } }`) });
    expect(direct.errors![0].message).toBe("cannot tell what this is");
  });

  it("a compiled query that throws is run again on graphql-js", async () => {
    // A list whose iterator throws, under a parent resolved at once (so that the throw reaches the executor).
    await same(`{ parties { ... on Person { id brokenList } } }`, undefined, "exception");
  });

  it("variables: defaults of the operation, of arguments and of input fields; what resolvers are handed", async () => {
    const query = `
      query Echo($text: String = "given", $filter: Filter, $count: Int!, $when: DateTimeISO, $list: [String]) {
        a: echo(text: $text, filter: $filter, count: $count, when: $when, list: $list)
        b: echo(count: 1)
        c: echo(filter: { name: "Ada" }, list: "one", count: 2)
      }`;
    await same(query, { count: 5 }, "compiled");
    await same(query, { count: 5, text: null, filter: null, list: null }, "compiled");
    await same(query, { count: 5, text: "x", filter: { name: "G", minWealth: "3", ids: ["p1"], bornAfter: "2020-01-01T00:00:00Z" }, when: "2021-02-03T04:05:06Z", list: "solo" }, "compiled");
    await same(`query ($filter: Filter = { name: "Ada", mood: SAD }) { people(filter: $filter) { id } echo(filter: $filter) }`, undefined, "compiled");
  });

  it("variables inside literals: compiled when they always have a value, else on graphql-js when left unset", async () => {
    const query = `query ($name: String, $id: ID!, $mood: Mood = SAD) { echo(filter: { name: $name, ids: [$id], mood: $mood }) }`;
    await same(query, { name: "Ada", id: "p1" }, "compiled");
    await same(query, { name: null, id: "p1", mood: "HAPPY" }, "compiled");
    await same(query, { id: "p1" }, "uncompilable");
    // A nullable variable in a non-null place of a literal: graphql-js refuses a null there.
    await same(`query ($id: ID = "p1") { echo(filter: { ids: [$id] }) }`, { id: null }, "uncompilable");
  });

  it("variables that do not coerce are reported with graphql-js's messages", async () => {
    const query = `query ($first: Int, $filter: Filter, $id: ID!) { people(first: $first, filter: $filter) { id } node(id: $id) { id } }`;
    await same(query, { first: "three", id: "p1" }, "variables");
    await same(query, { first: 1 }, "variables");
    await same(query, { filter: { name: 3, unknown: true }, id: "p1" }, "variables");
    await same(query, { filter: { minWealth: 5 }, id: "p1" }, "variables");
    await same(query, { filter: { mood: "GRUMPY" }, id: "p1" }, "variables");
  });

  it("a variable default that is not plain JSON (a date) runs on graphql-js, which hands resolvers the Date", async () => {
    await same(`query ($when: DateTimeISO = "2020-01-01T00:00:00Z") { echo(when: $when) }`, undefined, "uncompilable");
    // Literal dates are fine.
    await same(`{ echo(when: "2020-01-01T00:00:00Z", count: 1) }`, undefined, "compiled");
  });

  it("@skip and @include on fields, with literals and variables", async () => {
    const query = `
      query Skip($yes: Boolean!, $no: Boolean = false) {
        people {
          id
          name @include(if: $yes)
          mood @skip(if: $yes)
          wealth @include(if: $yes) @skip(if: $no)
          born @skip(if: true)
          boss @include(if: $no) { id }
          boss @include(if: $yes) { name }
          friends @skip(if: false) { id name @include(if: $no) }
        }
      }`;
    for (const yes of [true, false]) {
      for (const no of [true, false]) await same(query, { yes, no }, "compiled");
      await same(query, { yes }, "compiled");
    }
  });

  it("variables that hold undefined (executeOperation's callers can pass it, JSON cannot) run on graphql-js", async () => {
    await same(`query ($no: Boolean = false) { people { id name @include(if: $no) } }`, { no: undefined }, "variables");
    await same(`query ($filter: Filter) { echo(filter: $filter) }`, { filter: { name: undefined, ids: ["p1"] } }, "variables");
  });

  it("@skip and @include on fragments run on graphql-js (graphql-jit would skip a spread of an excluded fragment again)", async () => {
    const spreads = `
      query ($yes: Boolean!) { people(first: 1) { id ...Named @include(if: $yes) ...Named } }
      fragment Named on Person { name }`;
    const inline = `query ($yes: Boolean!) { people(first: 1) { id ... on Person @skip(if: $yes) { mood } } }`;
    for (const yes of [false, true]) {
      await same(spreads, { yes }, "uncompilable");
      await same(inline, { yes }, "uncompilable");
    }
  });

  it("operations of one document that share a fragment under differently included fields", async () => {
    const query = `
      query A($a: Boolean!) { people { id friends @include(if: $a) { ...Named } } }
      query B { people { id friends { ...Named } } }
      fragment Named on Person { name }`;
    const executor = executorFor();
    const document = parse(query);
    for (const [operationName, variables] of [["A", { a: false }], ["B", undefined], ["A", { a: true }]] as const) {
      const expected = await execute({ schema, document: parse(query), operationName, variableValues: variables });
      expect(seen(await executor.execute(request(document, variables, operationName)))).toEqual(seen(expected));
    }
    expect(executor.stats).toMatchObject({ compilations: 2, compiledExecutions: 3 });
  });

  it("introspection", async () => {
    await same(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true }), undefined, "compiled");
    await same(`{ __type(name: "Person") { name fields { name type { name kind ofType { name } } } } __typename }`, undefined, "compiled");
  });

  it("picks the named operation of a document of several", async () => {
    const query = `query A { people(first: 1) { id } } query B { node(id: "c1") { id } }`;
    const executor = executorFor();
    await same(query, undefined, "compiled", executor, "A");
    await same(query, undefined, "compiled", executor, "B");
    expect(executor.stats.compilations).toBe(2);
  });

  it("mutations, and documents without a matching operation, run on graphql-js", async () => {
    await same(`mutation { rename(id: "p1") { id name } }`, undefined, "operation");
    const executor = executorFor();
    const document = parse(`query A { people { id } } query B { people { name } }`);
    const expected = await execute({ schema, document, operationName: "C" });
    const actual = await executor.execute({ ...request(document, undefined, "C"), operation: undefined });
    expect(seen(actual)).toEqual(seen(expected));
    expect(executor.stats.fallbacks.operation).toBe(1);
  });

  it("runs on graphql-js when an Apollo plugin watches every field", async () => {
    const executor = executorFor();
    const document = parse(`{ people { id } }`);
    const contextValue = { [Symbol("apolloServerExecutionDispatcherWillResolveField")]: () => undefined };
    await executor.execute({ ...request(document), contextValue });
    expect(executor.stats.fallbacks.instrumented).toBe(1);
    expect(executor.stats.compilations).toBe(0);
  });
});

describe("the JIT executor's cache", () => {
  it("compiles an operation once and reuses it", async () => {
    const executor = executorFor();
    const document = parse(`query ($first: Int) { people(first: $first) { id name } }`);
    for (let first = 0; first < 5; first++) await executor.execute(request(document, { first }));
    expect(executor.stats.compilations).toBe(1);
    expect(executor.stats.compiledExecutions).toBe(5);
    // The same text parsed again is another document (Apollo hands the same one while it keeps it).
    await executor.execute(request(parse(`query ($first: Int) { people(first: $first) { id name } }`), { first: 1 }));
    expect(executor.stats.compilations).toBe(2);
  });

  it("compiles at the operation's compileAt-th execution: by default the second", async () => {
    const executor = new JitExecutor(schema);
    const document = parse(`{ people { id } }`);
    const first = await executor.execute(request(document));
    expect(executor.stats).toMatchObject({ compilations: 0, compiledExecutions: 0, fallbacks: { cold: 1 } });
    const second = await executor.execute(request(document));
    expect(executor.stats).toMatchObject({ compilations: 1, compiledExecutions: 1, fallbacks: { cold: 1 } });
    expect(second).toEqual(first);
  });

  it("keeps at most maxOperations, the least recently used leaving first", async () => {
    const executor = executorFor({ maxOperations: 2 });
    const [a, b, c] = ["{ people { id } }", "{ people { name } }", "{ people { mood } }"].map((q) => parse(q));
    await executor.execute(request(a));
    await executor.execute(request(b));
    await executor.execute(request(a));
    await executor.execute(request(c)); // b leaves
    expect(executor.stats).toMatchObject({ compilations: 3, cachedOperations: 2 });
    await executor.execute(request(a));
    await executor.execute(request(c));
    expect(executor.stats.compilations).toBe(3);
    await executor.execute(request(b));
    expect(executor.stats).toMatchObject({ compilations: 4, cachedOperations: 2 });
  });

  it("remembers an operation it cannot compile and runs it on graphql-js without trying again", async () => {
    const executor = executorFor();
    const document = parse(`query ($yes: Boolean!) { people { ... on Person @include(if: $yes) { id } } }`);
    for (const yes of [true, false, true]) {
      const expected = await execute({ schema, document: parse(`query ($yes: Boolean!) { people { ... on Person @include(if: $yes) { id } } }`), variableValues: { yes } });
      expect(seen(await executor.execute(request(document, { yes })))).toEqual(seen(expected));
    }
    expect(executor.stats).toMatchObject({ compilations: 1, compiledExecutions: 0, fallbacks: { uncompilable: 3 } });
  });

  it("refuses nonsense sizes", () => {
    expect(() => new JitExecutor(schema, { maxOperations: 0 })).toThrow("maxOperations");
    expect(() => new JitExecutor(schema, { compileAt: 1.5 })).toThrow("compileAt");
  });
});
