import fs from "node:fs";
import http from "node:http";
import path from "node:path";

/** Where `npm run build` puts the bundled GraphiQL (playground/build.mjs). */
const ASSET_DIR = path.join(projectRoot(), "dist", "playground");

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
};

/** The query the playground opens with: the README's first session. */
export const PLAYGROUND_QUERY = `query FirstLook {
  me {
    id
    user { id firstName lastName email }
    workspace { id name }
    organization { id name }
    memberships { id workspace { id name } }
  }
  people(first: 10, filter: { type: CONTACT }) {
    totalCount
    edges {
      cursor
      node { id firstName lastName company { id name } referredBy { id firstName lastName } }
    }
    pageInfo { hasNextPage endCursor }
  }
  stages(pipeline: REFERRAL) { id key label color sortOrder probability }
}
`;

/**
 * The offline GraphiQL playground: its page on GET /graphql for a browser (one that prefers
 * text/html), and its bundled files under /playground/. Returns false for anything else.
 */
export function handlePlayground(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (pathname === "/graphql" && wantsHtml(req)) {
    sendPage(res);
    return true;
  }
  if (!pathname.startsWith("/playground/")) return false;
  const name = pathname.slice("/playground/".length);
  // Plain file names only: no way out of the asset folder.
  const type = CONTENT_TYPES[path.extname(name)];
  const file = path.join(ASSET_DIR, name);
  if (!/^[\w.-]+$/.test(name) || !type || !fs.existsSync(file)) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("Not found");
    return true;
  }
  res.writeHead(200, { "content-type": type, "content-length": fs.statSync(file).size, "cache-control": "public, max-age=300" });
  if (req.method === "HEAD") res.end();
  else fs.createReadStream(file).pipe(res);
  return true;
}

/** A browser navigating asks for text/html first; GraphQL clients ask for JSON or send a query. */
function wantsHtml(req: http.IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.includes("text/html") && !new URL(req.url ?? "/", "http://localhost").searchParams.has("query");
}

function sendPage(res: http.ServerResponse): void {
  const built = fs.existsSync(path.join(ASSET_DIR, "main.js"));
  const config = {
    endpoint: "/graphql",
    defaultQuery: PLAYGROUND_QUERY,
    defaultHeaders: JSON.stringify({ Authorization: "Bearer <your API key>" }, null, 2),
  };
  const html = built
    ? `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dealgraph playground</title>
<link rel="stylesheet" href="/playground/main.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script id="playground-config" type="application/json">${JSON.stringify(config).replace(/</g, "\\u003c")}</script>
<script src="/playground/main.js"></script>
</body>
</html>
`
    : `<!doctype html><html lang="en"><meta charset="utf-8"><title>dealgraph playground</title>
<p>The playground is not built: run <code>npm run build</code> (or <code>npm start</code>), then reload.</p></html>
`;
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
    // Everything comes from this service: the page may load nothing from anywhere else.
    "content-security-policy":
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'",
  });
  res.end(html);
}

/** The folder with package.json: the same from src/ (tests) and dist/src/ (the built service). */
function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
