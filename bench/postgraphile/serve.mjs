// PostGraphile 5 on the bench's database: the reference `npm run bench -- --compare` measures
// dealgraph against. Amber preset (PostGraphile's recommended defaults) with simplified
// inflection (`seeker` rather than `personBySeekerIdAndOrganizationId`), no GraphiQL, no
// subscriptions; a pool of DATABASE_POOL_MAX (default 10, as dealgraph's) long-lived connections.
//
//   DATABASE_URL=postgres://…/dealgraph_bench_… PORT=5678 node bench/postgraphile/serve.mjs
import "./node20.mjs";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error("DATABASE_URL is required: the bench's database (npm run bench -- --database NAME keeps one)");
  process.exit(1);
}
const port = Number(process.env.PORT ?? 5678);
const host = process.env.HOST ?? "127.0.0.1";

const preset = {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      pubsub: false,
      // Long-lived connections, so the bench's per-backend CPU readings lose no backend mid-run.
      poolConfig: { max: Number(process.env.DATABASE_POOL_MAX ?? 10), idleTimeoutMillis: 0 },
    }),
  ],
  grafserv: { port, host, graphiql: false, watch: false },
  grafast: { explain: false },
  schema: { exportSchemaSDLPath: process.env.EXPORT_SCHEMA },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, host, () =>
  console.log(`PostGraphile at http://${host}:${port}/graphql on ${new URL(connectionString).pathname.slice(1)}, pid ${process.pid} (for --compare-pid)`),
);

const stop = () => {
  server.close();
  void pgl.release().then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
