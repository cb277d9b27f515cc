import "reflect-metadata";
import { referralOpenApi } from "./modules/referral/referral.openapi";
import { parseArgs } from "node:util";
import { DataSource } from "typeorm";
import { loadConfig } from "./config";
import { Database, openDatabase, runMigrations } from "./core/db/database";
import { AppError, InputError } from "./core/errors/errors";
import { adminQueries } from "./modules/admin/admin.queries";
import { adminService } from "./modules/admin/admin.service";
import { webhookCommands, webhookUrlPolicy } from "./modules/webhook/webhook.commands";
import { isUUID } from "class-validator";
import { WebhookEndpoint } from "./modules/webhook/webhook.entities";
import { printedPossibleTypes, printedSchema } from "./schema";

const USAGE = `Usage: npm run cli -- <command> [--flags]

  bootstrap        --org NAME --workspace NAME --email E --first-name F --last-name L
  create-workspace --org ORG_ID --name NAME
  create-user      --org ORG_ID --workspace WORKSPACE_ID --email E --first-name F --last-name L
  add-member       --workspace WORKSPACE_ID --user USER_ID
  set-role         --user USER_ID --role admin|member   (organization admins manage webhook endpoints)
  create-key       --user USER_ID [--days N]      (default 90 days)
  revoke-key       --key KEY
  list-organizations
  list-workspaces  --org ORG_ID
  list-users       --org ORG_ID
  list-keys        --org ORG_ID | --user USER_ID   (prefixes and dates; never a key)
  create-webhook   --org ORG_ID --url URL --events deal.created,deal.updated,... [--description D]
                   (prints the signing secret: the only time it is shown)
  update-webhook   --org ORG_ID --id ENDPOINT_ID [--url URL] [--events ...] [--description D] [--enabled true|false]
  delete-webhook   --org ORG_ID --id ENDPOINT_ID
  roll-webhook-secret --org ORG_ID --id ENDPOINT_ID      (prints the new secret)
  list-webhooks    --org ORG_ID
  webhook-deliveries --org ORG_ID --id ENDPOINT_ID [--first N]
  migrate          run pending migrations
  print-schema     print the GraphQL schema (SDL)
  print-openapi    print the OpenAPI document of the REST routes (JSON)
  print-possible-types  print interface → implementations as JSON (for Apollo Client)

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
  id: { type: "string" },
  url: { type: "string" },
  events: { type: "string" },
  description: { type: "string" },
  enabled: { type: "string" },
  first: { type: "string" },
  role: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean };

/** The flags each command takes; any other is a usage error, not silently ignored. */
const COMMAND_FLAGS: Record<string, Array<keyof typeof OPTIONS>> = {
  bootstrap: ["org", "workspace", "email", "first-name", "last-name"],
  "create-workspace": ["org", "name"],
  "create-user": ["org", "workspace", "email", "first-name", "last-name"],
  "add-member": ["workspace", "user"],
  "set-role": ["user", "role"],
  "create-key": ["user", "days"],
  "revoke-key": ["key"],
  "list-organizations": [],
  "list-workspaces": ["org"],
  "list-users": ["org"],
  "list-keys": ["org", "user"],
  migrate: [],
  "print-schema": [],
  "print-possible-types": [],
  "print-openapi": [],
  "create-webhook": ["org", "url", "events", "description"],
  "update-webhook": ["org", "id", "url", "events", "description", "enabled"],
  "delete-webhook": ["org", "id"],
  "roll-webhook-secret": ["org", "id"],
  "list-webhooks": ["org"],
  "webhook-deliveries": ["org", "id", "first"],
};

const COMMANDS: Record<string, (db: DataSource, f: Flags) => Promise<unknown>> = {
  bootstrap: (db, f) =>
    adminService.bootstrap(db, { org: f.org!, workspace: f.workspace!, email: f.email!, firstName: f["first-name"]!, lastName: f["last-name"]! }),
  "create-workspace": (db, f) => adminService.createWorkspace(db, { org: f.org!, name: f.name! }),
  "create-user": (db, f) =>
    adminService.createUser(db, { org: f.org!, workspace: f.workspace!, email: f.email!, firstName: f["first-name"]!, lastName: f["last-name"]! }),
  "add-member": (db, f) => adminService.addMember(db, { workspace: f.workspace!, user: f.user! }),
  "set-role": (db, f) => adminService.setRole(db, { user: f.user!, role: f.role! }),
  "create-key": (db, f) => adminService.createKey(db, { user: f.user!, days: f.days === undefined ? undefined : Number(f.days) }),
  "revoke-key": (db, f) => adminService.revokeKey(db, { key: f.key! }),
  "list-organizations": (db) => adminQueries.listOrganizations(db),
  "list-workspaces": (db, f) => adminQueries.listWorkspaces(db, { org: f.org }),
  "list-users": (db, f) => adminQueries.listUsers(db, { org: f.org }),
  "list-keys": (db, f) => adminQueries.listKeys(db, { org: f.org, user: f.user }),
  "create-webhook": async (db, f) => {
    const { endpoint, secret } = await webhookCommands.create(db.manager, organization(f), {
      url: f.url,
      events: list(f.events),
      description: f.description,
    });
    return { ...shown(endpoint), secret };
  },
  "update-webhook": async (db, f) =>
    shown(await webhookCommands.update(db.manager, organization(f), {
      id: f.id,
      url: f.url,
      events: f.events === undefined ? undefined : list(f.events),
      description: f.description,
      enabled: f.enabled === undefined ? undefined : f.enabled === "true" ? true : f.enabled === "false" ? false : f.enabled,
    })),
  "delete-webhook": async (db, f) => shown(await webhookCommands.delete(db.manager, organization(f), { id: f.id })),
  "roll-webhook-secret": async (db, f) => {
    const { endpoint, secret } = await webhookCommands.rollSecret(db.manager, organization(f), { id: f.id });
    return { ...shown(endpoint), secret };
  },
  "list-webhooks": async (db, f) => (await webhookCommands.list(db.manager, organization(f))).map(shown),
  "webhook-deliveries": (db, f) =>
    webhookCommands.deliveries(db.manager, organization(f), { endpointId: f.id, ...(f.first === undefined ? {} : { first: Number(f.first) }) }),
  migrate: async (db) => ({ applied: await runMigrations(db) }),
};

/** An endpoint as the CLI prints it: never its secret, which only create and roll print, once. */
function shown({ secret: _secret, ...endpoint }: WebhookEndpoint): Omit<WebhookEndpoint, "secret"> {
  return endpoint;
}

/** --org, which the webhook commands need to be an organization's id. */
function organization(f: Flags): string {
  if (!f.org || !isUUID(f.org)) throw new InputError([{ path: "org", message: "--org must be an organization id (a UUID)", constraint: "isUUID" }]);
  return f.org.toLowerCase();
}

/** A comma-separated flag as a list (an absent one as an empty list, which the command refuses by name). */
const list = (value: string | undefined) => (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/**
 * Runs one admin command and returns the exit code: 0 with JSON on stdout, 1 with a message on
 * stderr when the input is wrong, 2 for a usage error. `open` is how it reaches the database.
 */
export async function runCli(
  argv: string[],
  io: CliIo = processIo,
  open: (options: { migrate: boolean }) => Promise<Pick<Database, "dataSource" | "close">> = (options) =>
    openDatabase(loadConfig(), options),
): Promise<number> {
  const fail = (message: string, code = 1) => {
    io.stderr(message + "\n");
    return code;
  };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const [command, ...extra] = parsed.positionals;
  if (parsed.values.help) {
    io.stdout(USAGE + "\n");
    return 0;
  }
  if (!command) return fail(USAGE, 2);
  if (extra.length > 0) return fail(`Unexpected arguments: ${extra.join(" ")}\n\n${USAGE}`, 2);
  const takes = COMMAND_FLAGS[command];
  if (!takes) return fail(`Unknown command "${command}".\n\n${USAGE}`, 2);
  const foreign = Object.keys(parsed.values).filter((flag) => flag !== "help" && !takes.includes(flag as keyof typeof OPTIONS));
  if (foreign.length > 0) {
    return fail(`${command} does not take ${foreign.map((f) => `--${f}`).join(", ")}.\n\n${USAGE}`, 2);
  }
  if (command === "print-schema" || command === "print-possible-types") {
    io.stdout(command === "print-schema" ? await printedSchema() : await printedPossibleTypes());
    return 0;
  }
  if (command === "print-openapi") {
    io.stdout(JSON.stringify(referralOpenApi, null, 2) + "\n");
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) return fail(`Unknown command "${command}".\n\n${USAGE}`, 2);

  webhookUrlPolicy.allowPrivate = loadConfig().webhooks.allowPrivate;
  const db = await open({ migrate: command !== "migrate" });
  try {
    const result = await run(db.dataSource, parsed.values as Flags);
    io.stdout(JSON.stringify(result, null, 2) + "\n");
    return 0;
  } catch (error) {
    if (error instanceof InputError) return fail(error.fields.map((f) => f.message).join("\n"));
    if (error instanceof AppError) return fail(error.message);
    throw error;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error("dealgraph cli failed:", error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
