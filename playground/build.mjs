// Builds the offline playground into dist/playground/: GraphiQL, React and Monaco's workers as
// static files the service serves itself (no CDN). Part of `npm run build`.
import { build } from "esbuild";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, "dist", "playground");
const require = createRequire(import.meta.url);

const common = {
  bundle: true,
  minify: true,
  logLevel: "warning",
  legalComments: "linked",
  define: { "process.env.NODE_ENV": '"production"' },
  absWorkingDir: root,
};

await Promise.all([
  build({
    ...common,
    entryPoints: { main: path.join(root, "playground", "main.js") },
    outdir: out,
    format: "iife",
    target: "es2020",
    loader: { ".ttf": "file", ".woff": "file", ".woff2": "file", ".svg": "file" },
    assetNames: "[name]-[hash]",
  }),
  build({
    ...common,
    entryPoints: {
      "editor.worker": require.resolve("monaco-editor/esm/vs/editor/editor.worker.js"),
      "json.worker": require.resolve("monaco-editor/esm/vs/language/json/json.worker.js"),
      "graphql.worker": require.resolve("monaco-graphql/esm/graphql.worker.js"),
    },
    outdir: out,
    format: "iife",
    target: "es2020",
  }),
]);
