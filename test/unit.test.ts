import { execFileSync } from "node:child_process";
import path from "node:path";
import { validateSync } from "class-validator";
import { bearerToken, generateApiKey, hashApiKey, isWellFormedApiKey } from "../src/core/auth/api-keys";
import { loadConfig } from "../src/config";
import { IsMoneyAmount, likePattern } from "../src/core/validation/rules";
import { displayName } from "../src/modules/person/person.entity";

describe("API keys", () => {
  it("are dg_ and 43 base64url characters, different every time", () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).toMatch(/^dg_[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.prefix).toBe(a.key.slice(0, 11));
    expect(isWellFormedApiKey(a.key)).toBe(true);
    expect(isWellFormedApiKey(a.key + "x")).toBe(false);
    expect(isWellFormedApiKey("sk_" + a.key.slice(3))).toBe(false);
  });

  it("are stored as their SHA-256", () => {
    const { key, hash } = generateApiKey();
    expect(hash.equals(hashApiKey(key))).toBe(true);
    expect(hashApiKey("abc").toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hash).toHaveLength(32);
  });

  it("come from a Bearer header only", () => {
    expect(bearerToken("Bearer dg_abc")).toBe("dg_abc");
    expect(bearerToken("bearer   dg_abc ")).toBe("dg_abc");
    expect(bearerToken("Basic dg_abc")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe("displayName", () => {
  it("prefers the display name, then first and last name, then the email", () => {
    expect(displayName({ name: "Bobby", firstName: "Bob", lastName: "P", email: null })).toBe("Bobby");
    expect(displayName({ name: "  ", firstName: "Bob", lastName: "Provider", email: null })).toBe("Bob Provider");
    expect(displayName({ name: null, firstName: null, lastName: "Provider", email: "b@x" })).toBe("Provider");
    expect(displayName({ name: null, firstName: null, lastName: null, email: "b@x" })).toBe("b@x");
  });
});

describe("likePattern", () => {
  it("takes %, _ and \\ literally", () => {
    expect(likePattern(" 50%_off\\ ")).toBe("%50\\%\\_off\\\\%");
  });
});

describe("IsMoneyAmount", () => {
  class Amount {
    @IsMoneyAmount()
    value: unknown;
  }
  const ok = (value: unknown) => validateSync(Object.assign(new Amount(), { value })).length === 0;

  it("accepts exact amounts of 0 or more with up to four decimals, as numbers or decimal strings", () => {
    for (const value of [0, 1, 50000.1, 50000.12, 0.0001, 999_999_999_999_999, "5", "12345678901234.5678", "0.0001"]) expect(ok(value)).toBe(true);
  });

  it("refuses negative, fractional beyond cents of cents, non-finite, huge and non-decimal amounts", () => {
    for (const value of [-1, 0.00001, Infinity, NaN, 1e16, "-5", "1e5", "5.00001", "1000000000000000", "", true]) expect(ok(value)).toBe(false);
  });
});

describe("configuration", () => {
  it("has defaults for a newcomer's machine", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ databaseUrl: undefined, databasePoolMax: 10, port: 4000, nodeEnv: "development", seedDemo: true });
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it("reads the environment and refuses nonsense", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://x", DATABASE_POOL_MAX: "3", PORT: "8080", SEED_DEMO: "false" })).toMatchObject({
      databaseUrl: "postgres://x",
      databasePoolMax: 3,
      port: 8080,
      seedDemo: false,
    });
    expect(() => loadConfig({ PORT: "http" })).toThrow("PORT must be a whole number");
    expect(() => loadConfig({ DATABASE_POOL_MAX: "0" })).toThrow("DATABASE_POOL_MAX must be at least 1");
  });

  it("reads booleans as true/false, 1/0 or yes/no in any case, and names the setting otherwise", () => {
    for (const yes of ["true", "TRUE", "1", "yes", "Yes"]) expect(loadConfig({ SQL_STATS: yes }).exposeSqlStats).toBe(true);
    for (const no of ["false", "False", "0", "no", "NO"]) expect(loadConfig({ PLAYGROUND: no }).playground).toBe(false);
    expect(() => loadConfig({ SEED_DEMO: "maybe" })).toThrow('SEED_DEMO must be true or false (or 1/0, yes/no), got "maybe"');
    expect(() => loadConfig({ LOG_SQL: "on" })).toThrow("LOG_SQL must be true or false");
  });

  it("runs queries with the JIT executor unless GRAPHQL_JIT=false", () => {
    expect(loadConfig({}).graphqlJit).toBe(true);
    expect(loadConfig({ NODE_ENV: "production" }).graphqlJit).toBe(true);
    expect(loadConfig({ GRAPHQL_JIT: "false" }).graphqlJit).toBe(false);
    expect(() => loadConfig({ GRAPHQL_JIT: "fast" })).toThrow("GRAPHQL_JIT must be true or false");
  });

  it("seeds the demo only on the embedded database outside production, unless told so explicitly", () => {
    expect(loadConfig({}).seedDemo).toBe(true);
    expect(loadConfig({ DATABASE_URL: "postgres://db/x" }).seedDemo).toBe(false);
    expect(loadConfig({ NODE_ENV: "production" }).seedDemo).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", SEED_DEMO: "true" }).seedDemo).toBe(true);
    expect(loadConfig({ DATABASE_URL: "postgres://db/x", SEED_DEMO: "yes" }).seedDemo).toBe(true);
  });

  it("refuses a DATABASE_URL that is not a postgres:// URL, without echoing it, and ports out of range", () => {
    for (const url of ["mysql://u:secret@db/x", "localhost:5432", "postgres://"]) {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow("DATABASE_URL must be a postgres:// URL");
    }
    expect(() => loadConfig({ DATABASE_URL: "mysql://u:secret@db/x" })).not.toThrow(/secret/);
    expect(loadConfig({ DATABASE_URL: "postgresql://u@db:5432/x" }).databaseUrl).toBe("postgresql://u@db:5432/x");
    expect(() => loadConfig({ PORT: "65536" })).toThrow("PORT must be from 0 to 65535");
  });

  it("reads logging, CORS, playground and shutdown settings with defaults per environment", () => {
    expect(loadConfig({})).toMatchObject({ logLevel: "info", logPretty: true, corsOrigins: ["localhost"], playground: true, shutdownTimeoutMs: 10_000 });
    expect(loadConfig({ NODE_ENV: "production" })).toMatchObject({ logPretty: false, corsOrigins: [], playground: false });
    expect(loadConfig({ LOG_LEVEL: "DEBUG", LOG_FORMAT: "json" })).toMatchObject({ logLevel: "debug", logPretty: false });
    expect(() => loadConfig({ LOG_LEVEL: "verbose" })).toThrow("LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent");
    expect(loadConfig({ CORS_ORIGINS: "https://app.example.com, http://localhost:3000/ ,localhost" }).corsOrigins).toEqual([
      "https://app.example.com",
      "http://localhost:3000",
      "localhost",
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: "https://app.example.com/path" })).toThrow("CORS_ORIGINS must list origins");
    expect(loadConfig({ CORS_ORIGINS: "" }).corsOrigins).toEqual([]);
  });

  it("delivers webhooks with a day of retries and refuses private endpoints only in production unless allowed", () => {
    expect(loadConfig({}).webhooks).toEqual({
      worker: true,
      allowPrivate: true,
      timeoutMs: 10_000,
      retryBaseMs: 30_000,
      retryMaxMs: 3_600_000,
      retryForSeconds: 86_400,
      disableAfterSeconds: 259_200,
      pollMs: 1_000,
      retentionDays: 30,
    });
    expect(loadConfig({ NODE_ENV: "production" }).webhooks.allowPrivate).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", WEBHOOK_ALLOW_PRIVATE: "true" }).webhooks.allowPrivate).toBe(true);
    expect(loadConfig({ WEBHOOK_WORKER: "false", WEBHOOK_RETRY_BASE_MS: "50" }).webhooks).toMatchObject({ worker: false, retryBaseMs: 50 });
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: "0" })).toThrow("WEBHOOK_TIMEOUT_MS must be at least 1");
  });
});

describe("HEAP_GROWING_PERCENT", () => {
  it("is 100 unless set, and a whole number", () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(100);
    expect(loadConfig({ HEAP_GROWING_PERCENT: "0" }).heapGrowingPercent).toBe(0);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: "half" })).toThrow("HEAP_GROWING_PERCENT must be a whole number");
  });

  /** The most the heap took, in MB, in a child process that limits its growth to `percent` and then makes garbage at a steady pace. */
  function peakHeapMb(percent: number): number {
    const script = `
      require(${JSON.stringify(path.join(__dirname, "..", "dist", "src", "core", "observability", "heap.js"))}).limitHeapGrowth(${percent});
      const v8 = require("node:v8");
      const kept = [];
      let peak = 0;
      for (let i = 0; i < 2000; i++) {
        kept.push(Array.from({ length: 2000 }, (_, j) => ({ i, j, text: "x".repeat(20) + j })));
        if (kept.length > 20) kept.shift();
        peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
      }
      console.log(Math.round(peak / 1048576));`;
    return Number(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim());
  }

  it("takes effect when set at start-up: the same garbage keeps a smaller heap with a smaller percent", () => {
    // An unknown flag is ignored without a word: this fails if V8 stops knowing this one.
    const [tight, loose] = [peakHeapMb(20), peakHeapMb(400)];
    expect(tight).toBeLessThan(loose * 0.85);
  });
});
