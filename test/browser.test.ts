import fs from "node:fs";
import http from "node:http";
import { AddressInfo } from "node:net";
import { Browser, chromium } from "playwright-core";
import { RunningApp, startApp } from "../src/app";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/core/observability/logger";
import { createCompany, createPerson, createTenant, TestUser } from "./factories";
import { useTestService } from "./support/harness";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  // .ci/run installs it; a machine with only Node runs everything else.
  console.warn(`Skipping the browser tests: ${CHROMIUM} is missing (apt-get install -y chromium).`);
}

/** A page served from an origin other than the service's: a front-end app on its own dev server. */
async function startPageServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>front end</title><p>app</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

(haveChromium ? describe : describe.skip)("in a browser (headless Chromium)", () => {
  const service = useTestService();
  let browser: Browser;
  let user: TestUser;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    user = await createTenant(service.db, "Demo Organization");
    const gamma = await createCompany(service.db, user.organizationId, "Gamma Facilities");
    const acme = await createCompany(service.db, user.organizationId, "Acme Inc");
    const rita = await createPerson(service.db, user.organizationId, { firstName: "Rita", lastName: "Referrer", companyId: gamma.id });
    await createPerson(service.db, user.organizationId, { firstName: "Alice", lastName: "Seeker", companyId: acme.id, referredById: rita.id });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  describe("a front end on another origin", () => {
    let app: RunningApp;
    let page: Awaited<ReturnType<typeof startPageServer>>;

    beforeAll(async () => {
      page = await startPageServer();
      // Only the page's localhost origin is allowed; the same page on 127.0.0.1 is another origin.
      app = await startApp(
        { ...loadConfig({ CORS_ORIGINS: `http://localhost:${page.port}` }), nodeEnv: "test", port: 0, host: "127.0.0.1" },
        service.db,
        { logger: silentLogger },
      );
    });
    afterAll(async () => {
      await app?.stop();
      await page?.close();
    });

    /** Runs fetch() in a page loaded from `origin`, as a front-end app would. */
    async function queryFrom(origin: string) {
      const tab = await browser.newPage();
      try {
        await tab.goto(`${origin}/`);
        return await tab.evaluate(
          async ({ url, key }) => {
            try {
              const response = await fetch(url, {
                method: "POST",
                headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
                body: JSON.stringify({ query: "{ me { organization { name } } }" }),
              });
              return { status: response.status, body: await response.json(), requestId: response.headers.get("x-request-id") };
            } catch (error) {
              return { blocked: String(error) };
            }
          },
          { url: app.url, key: user.apiKey },
        );
      } finally {
        await tab.close();
      }
    }

    it("runs a query with a Bearer key from an allowed origin and reads the data and the request id", async () => {
      const result = await queryFrom(`http://localhost:${page.port}`);
      expect(result).toEqual({ status: 200, body: { data: { me: { organization: { name: "Demo Organization" } } } }, requestId: expect.any(String) });
    });

    it("is blocked by the browser from an origin that is not allowed", async () => {
      const result = await queryFrom(`http://127.0.0.1:${page.port}`);
      expect(result).toEqual({ blocked: expect.stringContaining("Failed to fetch") });
    });
  });

  it("loads the playground with no network beyond the service, takes the key in the header editor and runs the first query", async () => {
    const origin = new URL(service.url).origin;
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const elsewhere: string[] = [];
    await tab.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    try {
      await tab.goto(service.url);
      const headers = tab.locator(".graphiql-editor-tool .monaco-editor").last();
      await headers.waitFor({ timeout: 20_000 });
      await headers.click();
      await tab.keyboard.press("ControlOrMeta+A");
      await tab.keyboard.press("Delete");
      // insertText, not typing: Monaco would add a closing quote or brace after each one typed.
      await tab.keyboard.insertText(`{ "Authorization": "Bearer ${user.apiKey}" }`);
      await tab.keyboard.press("Home");
      const answered = tab.waitForResponse((r) => r.request().method() === "POST" && (r.request().postData() ?? "").includes("FirstLook"));
      await tab.locator(".graphiql-execute-button").click();
      const body = await (await answered).json();
      expect(body.errors).toBeUndefined();
      expect(body.data.me.organization).toEqual({ id: expect.any(String), name: "Demo Organization" });
      expect(body.data.people.edges.map((e: any) => e.node.firstName).sort()).toEqual(["Alice", "Rita"]);
      expect(body.data.stages[0]).toMatchObject({ label: "Lead" });
      // What the person sees: the answer in the response pane (Monaco draws only its visible lines).
      const pane = tab.locator(".graphiql-response");
      await pane.getByText('"Demo Organization"').waitFor({ timeout: 20_000 });
      expect((await pane.innerText()).replace(/\s+/g, " ")).toContain('"firstName": "Rita"');
      if (process.env.PLAYGROUND_SCREENSHOT) await tab.screenshot({ path: process.env.PLAYGROUND_SCREENSHOT });
      expect(elsewhere).toEqual([]);
    } finally {
      await tab.close();
    }
  }, 60_000);
});
