// The playground page's script: GraphiQL, bundled by playground/build.mjs into dist/playground/
// with everything it needs, so a browser loads nothing from anywhere but this service.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import "graphiql/style.css";

// Monaco runs its language services in workers, built beside this file (read while this classic
// script runs: document.currentScript is gone by the time Monaco asks for a worker).
const scriptUrl = document.currentScript.src;
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const name = label === "json" ? "json" : label === "graphql" ? "graphql" : "editor";
    return new Worker(new URL(`${name}.worker.js`, scriptUrl));
  },
};

const config = JSON.parse(document.getElementById("playground-config").textContent);
const fetcher = createGraphiQLFetcher({ url: config.endpoint });

createRoot(document.getElementById("graphiql")).render(
  createElement(GraphiQL, {
    fetcher,
    defaultQuery: config.defaultQuery,
    defaultHeaders: config.defaultHeaders,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: "headers",
    // A key typed into the header editor stays in this tab, not in localStorage.
    shouldPersistHeaders: false,
  }),
);
