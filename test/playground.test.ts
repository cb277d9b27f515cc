import { startApp } from "../src/app";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/core/observability/logger";
import { useTestService } from "./support/harness";

describe("playground: GraphiQL served by the service itself", () => {
  const service = useTestService();
  const base = () => service.url.replace("/graphql", "");

  it("answers a browser's GET /graphql with the GraphiQL page, which loads only this service's files", async () => {
    const response = await fetch(service.url, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).toContain('<script src="/playground/main.js"></script>');
    expect(html).toContain("query FirstLook");
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("serves the bundled script, styles and Monaco workers (npm run build makes them)", async () => {
    for (const [file, type] of [
      ["main.js", "text/javascript"],
      ["main.css", "text/css"],
      ["editor.worker.js", "text/javascript"],
      ["graphql.worker.js", "text/javascript"],
      ["json.worker.js", "text/javascript"],
    ]) {
      const response = await fetch(`${base()}/playground/${file}`);
      expect([file, response.status]).toEqual([file, 200]);
      expect(response.headers.get("content-type")).toContain(type);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    expect((await fetch(`${base()}/playground/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${base()}/playground/nope.js`)).status).toBe(404);
  });

  it("leaves GraphQL over GET and POST to Apollo, and Apollo's landing page off", async () => {
    const get = await fetch(`${service.url}?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { accept: "text/html", "apollo-require-preflight": "true" },
    });
    expect(get.headers.get("content-type")).not.toContain("text/html");
    const json = await fetch(service.url, { headers: { accept: "application/json" } });
    expect(json.headers.get("content-type")).not.toContain("text/html");
  });

  it("is off with PLAYGROUND=false (the production default): no page at all", async () => {
    const app = await startApp({ ...loadConfig({ PLAYGROUND: "false" }), nodeEnv: "test", port: 0, host: "127.0.0.1" }, service.db, { logger: silentLogger });
    try {
      const response = await fetch(app.url, { headers: { accept: "text/html" } });
      expect(response.headers.get("content-type")).not.toContain("text/html");
      expect(await response.text()).not.toContain("<html");
      expect((await fetch(app.url.replace("/graphql", "/playground/main.js"))).status).toBe(404);
    } finally {
      await app.stop();
    }
  });
});
