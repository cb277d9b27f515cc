import "reflect-metadata";
import { parseArgs } from "node:util";
import { loadConfig } from "./config";
import { openDatabase, runMigrations } from "./core/db/database";
import { InputError } from "./core/errors/errors";
import { adminService } from "./modules/admin/admin.service";
import { printedSchema } from "./schema";

const USAGE = `Usage: npm run cli -- <command> [--flags]

  bootstrap        --org NAME --workspace NAME --email E --first-name F --last-name L
  create-workspace --org ORG_ID --name NAME
  create-user      --org ORG_ID --workspace WORKSPACE_ID --email E --first-name F --last-name L
  add-member       --workspace WORKSPACE_ID --user USER_ID
  create-key       --user USER_ID [--days N]      (default 90 days)
  revoke-key       --key KEY
  migrate          run pending migrations
  print-schema     print the GraphQL schema (SDL)

Uses DATABASE_URL, or the embedded database in DATA_DIR (default ./.data). Prints JSON.`;

const OPTIONS = {
  org: { type: "string" },
  workspace: { type: "string" },
  email: { type: "string" },
  "first-name": { type: "string" },
  "last-name": { type: "string" },
  name: { type: "string" },
  user: { type: "string" },
  key: { type: "string" },
  days: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean };

const COMMANDS: Record<string, (db: Parameters<typeof adminService.bootstrap>[0], f: Flags) => Promise<unknown>> = {
  bootstrap: (db, f) =>
    adminService.bootstrap(db, { org: f.org!, workspace: f.workspace!, email: f.email!, firstName: f["first-name"]!, lastName: f["last-name"]! }),
  "create-workspace": (db, f) => adminService.createWorkspace(db, { org: f.org!, name: f.name! }),
  "create-user": (db, f) =>
    adminService.createUser(db, { org: f.org!, workspace: f.workspace!, email: f.email!, firstName: f["first-name"]!, lastName: f["last-name"]! }),
  "add-member": (db, f) => adminService.addMember(db, { workspace: f.workspace!, user: f.user! }),
  "create-key": (db, f) => adminService.createKey(db, { user: f.user!, days: f.days === undefined ? undefined : Number(f.days) }),
  "revoke-key": (db, f) => adminService.revokeKey(db, { key: f.key! }),
  migrate: async (db) => ({ applied: await runMigrations(db) }),
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  const [command, ...extra] = parsed.positionals;
  if (parsed.values.help || !command) return fail(USAGE, parsed.values.help ? 0 : 2);
  if (extra.length > 0) return fail(`Unexpected arguments: ${extra.join(" ")}\n\n${USAGE}`);
  if (command === "print-schema") {
    process.stdout.write(await printedSchema());
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) return fail(`Unknown command "${command}".\n\n${USAGE}`);

  const db = await openDatabase(loadConfig(), { migrate: command !== "migrate" });
  try {
    const result = await run(db.dataSource, parsed.values as Flags);
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    return 0;
  } catch (error) {
    if (error instanceof InputError) return fail(error.fields.map((f) => f.message).join("\n"));
    if (error instanceof Error && "extensions" in error) return fail(error.message);
    throw error;
  } finally {
    await db.close();
  }
}

function fail(message: string, code = 1): number {
  process.stderr.write(message + "\n");
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error("dealgraph cli failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
