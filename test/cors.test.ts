import { CorsPolicy } from "../src/core/http/cors";
import { createTenant, TestUser } from "./factories";
import { useTestService } from "./support/harness";

describe("CORS for browsers", () => {
  // The harness runs with the test defaults: any loopback origin is allowed.
  const service = useTestService();
  let user: TestUser;

  beforeAll(async () => {
    user = await createTenant(service.db);
  });

  const preflight = (origin: string) =>
    fetch(service.url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-workspace-id" },
    });

  it("answers a preflight from an allowed origin with 204, the API's methods and headers, and a max age", async () => {
    const response = await preflight("http://localhost:5173");
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    expect(response.headers.get("access-control-allow-headers")!.split(", ").sort()).toEqual(
      ["apollo-require-preflight", "authorization", "content-type", "idempotency-key", "if-match", "x-request-id", "x-workspace-id"],
    );
    expect(response.headers.get("access-control-max-age")).toBe("7200");
    expect(response.headers.get("vary")).toBe("Origin");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("gives a disallowed origin no CORS headers at all", async () => {
    const response = await preflight("https://evil.example");
    expect(response.status).toBe(204);
    expect([...response.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
    expect(response.headers.get("vary")).toBe("Origin");

    const post = await fetch(service.url, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json", authorization: `Bearer ${user.apiKey}` },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect([...post.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });

  it("lets an allowed origin's script read the answer and the request id, etag and retry-after headers", async () => {
    const response = await fetch(service.url, {
      method: "POST",
      headers: { origin: "http://127.0.0.1:3000", "content-type": "application/json", authorization: `Bearer ${user.apiKey}` },
      body: JSON.stringify({ query: "{ me { user { id } } }" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:3000");
    expect(response.headers.get("access-control-expose-headers")).toBe("x-request-id, etag, retry-after");
  });

  it("keeps Apollo's CSRF prevention: a simple GET without a preflight-forcing header is refused", async () => {
    const response = await fetch(`${service.url}?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { origin: "http://localhost:5173", authorization: `Bearer ${user.apiKey}` },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("CSRF");
  });

  it("matches exact origins from CORS_ORIGINS, and loopback origins only when listed", () => {
    const production = new CorsPolicy(["https://app.example.com"]);
    expect(production.allows("https://app.example.com")).toBe(true);
    expect(production.allows("https://app.example.com:444")).toBe(false);
    expect(production.allows("http://localhost:3000")).toBe(false);
    const none = new CorsPolicy([]);
    expect(none.allows("http://localhost:3000")).toBe(false);
    const loopback = new CorsPolicy(["localhost"]);
    for (const origin of ["http://localhost", "http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:4000"]) {
      expect(loopback.allows(origin)).toBe(true);
    }
    for (const origin of ["https://localhost:3000", "http://localhost.evil.example", "http://127.0.0.1.evil.example:80", "null"]) {
      expect(loopback.allows(origin)).toBe(false);
    }
  });
});
