import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  GraphQLField,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLOutputType,
  GraphQLSchema,
  IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from "graphql";
import { createTenant, TestUser } from "./factories";
import { dataOf, GraphQLResult, useTestService } from "./support/harness";

/**
 * Schema-driven fuzzing: requests over every query and mutation of the schema and every
 * argument, with adversarial values, must never answer INTERNAL_SERVER_ERROR, a 5xx, or a text
 * of the database driver's. Seeded: the seed is printed, and FUZZ_SEED=<seed> replays a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
/** One request in HTTP_SHARE goes over HTTP (headers, body parsing, throttling); the rest through executeOperation. */
const HTTP_SHARE = 5;
const CONCURRENCY = 4;
/** Words of PostgreSQL's and the driver's error texts; none may reach a caller. */
const DRIVER_TEXT = /\b(violates|constraint|relation|column)\b|syntax error at|invalid input syntax|SQLSTATE|QueryFailedError|duplicate key/i;

/** mulberry32: small, fast and good enough to choose test inputs reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}

const cursor = (content: unknown) => Buffer.from(JSON.stringify(content)).toString("base64url");
const uuid = "3f1e9c2a-8b7d-4c6e-9a5b-1d2c3e4f5a6b";

const STRINGS = [
  "",
  " ",
  "a",
  "Acme",
  "a\u0000",
  "\u0000",
  "x\ud800",
  "\udc00y",
  "a\uFE0F".repeat(200),
  "👍🏽".repeat(120),
  "e\u0301".repeat(150),
  "x".repeat(201),
  "x".repeat(5001),
  "x".repeat(70_000),
  "' OR 1=1 --",
  "%_\\",
  "Robert'); DROP TABLE company;--",
  "\u202Eevil",
  "名前",
  "USD",
  "usd",
  "EUR",
  "a@b.co",
  "not-an-email",
  "example.com",
  "https://example.com",
  "2026-01-01",
  "null",
  "1e309",
  "\n\t\r",
  uuid,
  uuid.toUpperCase(),
];
const BOGUS_CURSORS = [
  "",
  "!!!",
  "a".repeat(7000),
  cursor(["createdAt", "2026-13-01 00:00:00+00", uuid]),
  cursor(["createdAt", "9".repeat(140_000), uuid]),
  cursor(["createdAt", "2026-01-01 00:00:00\u0000", uuid]),
  cursor(["estimatedValue", "1" + "0".repeat(100), uuid]),
  cursor(["estimatedValue", "-1", uuid]),
  cursor(["title", "a\u0000b", uuid]),
  cursor(["title", "zzz", "not-a-uuid"]),
  cursor(["createdAt", "2026-02-30 10:00:00+00", uuid]),
  cursor(["createdAt", 5, uuid]),
  cursor({ a: 1 }),
  cursor(null),
];
const INTS = [0, 1, -1, 2, 20, 100, 101, 1000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, -7, 1.5, "1", null];
const FLOATS = [0, 0.5, -0.5, 1e-10, 123.4567, 123.45678, 999_999_999_999_999, 1e16, 1e308, -1e308, Number.MAX_VALUE, "NaN", "Infinity", null];
const DATES = ["2026-01-01T00:00:00.000Z", "2026-13-45T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01", "", "not a date", 1e15, -1e15, "275760-09-13T00:00:00.001Z"];

/** A copy of `value` with long strings cut, so a failure prints readably. */
function shorten(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, item) => (typeof item === "string" && item.length > 80 ? `${item.slice(0, 40)}…(${item.length} chars)` : item)));
}

describe("fuzz: every operation and argument of the schema", () => {
  const service = useTestService();
  let user: TestUser;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    user = await createTenant(service.db);
    // The schema as a client sees it: introspected over HTTP.
    schema = buildClientSchema(dataOf<IntrospectionQuery>(await service.http(getIntrospectionQuery(), {}, { key: user.apiKey })));
  });

  it(
    `answers ${REQUESTS} generated requests without an internal error, a 5xx or driver text`,
    async () => {
      const random = prng(SEED);
      // Ids and cursors the service gave out, so that some requests get past "not found".
      const ids: string[] = [user.userId, user.workspaceId];
      const cursors: string[] = [];
      const roots = [
        ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({ field, kind: "query" as const })),
        ...Object.values(schema.getMutationType()!.getFields()).map((field) => ({ field, kind: "mutation" as const })),
      ];
      const counts = { requests: 0, http: 0, ok: 0, byCode: {} as Record<string, number>, byStatus: {} as Record<number, number> };
      const failures: Array<{ reason: string; request: unknown; errors: unknown }> = [];

      function value(type: GraphQLInputType, name: string, depth = 0): unknown {
        if (!isNonNullType(type) && random.chance(0.1)) return null;
        const nullable = getNullableType(type) as GraphQLInputType;
        if (isListType(nullable)) {
          if (random.chance(0.1)) return value(nullable.ofType, name, depth + 1); // a lone item where a list belongs
          return Array.from({ length: random.int(4) }, () => value(nullable.ofType, name, depth + 1));
        }
        if (isInputObjectType(nullable)) {
          if (depth > 3) return {};
          const object: Record<string, unknown> = {};
          for (const field of Object.values(nullable.getFields())) {
            if (isNonNullType(field.type) || random.chance(0.6)) object[field.name] = value(field.type, field.name, depth + 1);
          }
          if (random.chance(0.05)) object.unknownField = "x";
          return object;
        }
        if (isEnumType(nullable)) return random.chance(0.9) ? random.pick(nullable.getValues()).name : "NOT_A_VALUE";
        const scalar = (nullable as GraphQLNamedType).name;
        if (name === "after") return random.pick(random.chance(0.5) && cursors.length ? cursors : BOGUS_CURSORS);
        if (random.chance(0.03)) return random.pick([{}, [], true, 12, "text"]); // the wrong kind of value
        switch (scalar) {
          case "ID":
            return random.chance(0.6) ? random.pick(ids) : random.chance(0.5) ? random.pick(ids).toUpperCase() : random.pick(STRINGS);
          case "Int":
            return random.pick(INTS);
          case "Float":
            return random.pick(FLOATS);
          case "Boolean":
            return random.pick([true, false, null]);
          case "DateTimeISO":
            return random.pick(DATES);
          default:
            return random.pick(STRINGS);
        }
      }

      function selection(type: GraphQLOutputType, depth: number): string {
        const named = getNamedType(type);
        if (isLeafType(named)) return "";
        if (!isObjectType(named) && !isInterfaceType(named)) return "{ __typename }";
        const fields = Object.values(named.getFields()).filter((f) => f.args.every((a) => !isNonNullType(a.type)));
        const parts = ["__typename"];
        for (const field of fields) {
          const child = getNamedType(field.type);
          if (isScalarType(child) || isEnumType(child)) parts.push(field.name);
          else if (depth < 4 && random.chance(depth < 2 ? 0.8 : 0.3)) parts.push(`${field.name} ${selection(field.type, depth + 1)}`);
        }
        return `{ ${parts.join(" ")} }`;
      }

      function request(field: GraphQLField<unknown, unknown>, kind: "query" | "mutation") {
        const variables: Record<string, unknown> = {};
        const definitions: string[] = [];
        const args: string[] = [];
        for (const arg of field.args) {
          if (!isNonNullType(arg.type) && random.chance(0.3)) continue;
          definitions.push(`$${arg.name}: ${String(arg.type)}`);
          args.push(`${arg.name}: $${arg.name}`);
          variables[arg.name] = value(arg.type, arg.name);
        }
        const head = definitions.length ? `${kind} Fuzz(${definitions.join(", ")})` : `${kind} Fuzz`;
        const call = args.length ? `${field.name}(${args.join(", ")})` : field.name;
        return { query: `${head} { ${call} ${selection(field.type, 0)} }`, variables };
      }

      function learn(data: unknown): void {
        if (!data || typeof data !== "object") return;
        for (const [key, item] of Object.entries(data as Record<string, unknown>)) {
          if (key === "id" && typeof item === "string" && ids.length < 200) ids.push(item);
          else if ((key === "endCursor" || key === "cursor") && typeof item === "string" && cursors.length < 200) cursors.push(item);
          else learn(item);
        }
      }

      function check(sent: unknown, result: GraphQLResult): void {
        counts.requests++;
        counts.byStatus[result.status] = (counts.byStatus[result.status] ?? 0) + 1;
        const errors = result.body.errors ?? [];
        if (errors.length === 0) counts.ok++;
        for (const error of errors) {
          const code = String(error.extensions?.code);
          counts.byCode[code] = (counts.byCode[code] ?? 0) + 1;
        }
        const texts = errors.flatMap((e) => [e.message, ...((e.extensions?.fields as Array<{ message: string }>) ?? []).map((f) => f.message)]);
        const reason =
          result.status >= 500
            ? `HTTP ${result.status}`
            : errors.some((e) => e.extensions?.code === "INTERNAL_SERVER_ERROR" || !e.extensions?.code)
              ? "internal or uncoded error"
              : texts.find((text) => DRIVER_TEXT.test(text))?.slice(0, 300);
        if (reason && failures.length < 10) failures.push({ reason, request: shorten(sent), errors: shorten(errors) });
        learn(result.body.data);
      }

      const started = Date.now();
      for (let sent = 0; sent < REQUESTS; sent += CONCURRENCY) {
        await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, REQUESTS - sent) }, async (_, i) => {
            const { field, kind } = random.pick(roots);
            const built = request(field, kind);
            const overHttp = (sent + i) % HTTP_SHARE === 0;
            if (overHttp) counts.http++;
            const result = overHttp
              ? await service.http(built.query, built.variables, { key: user.apiKey })
              : await service.exec(built.query, built.variables, user.viewer);
            check(built, result);
          }),
        );
      }
      console.log(
        `fuzz: seed ${SEED} (replay with FUZZ_SEED=${SEED}); ${counts.requests} requests (${counts.http} over HTTP) over ${roots.length} operations ` +
          `in ${((Date.now() - started) / 1000).toFixed(1)} s; ${counts.ok} without errors; by status ${JSON.stringify(counts.byStatus)}; ` +
          `errors by code ${JSON.stringify(counts.byCode)}`,
      );
      expect(failures).toEqual([]);
      expect(counts.requests).toBe(REQUESTS);
    },
    240_000,
  );
});
