import fs from "node:fs";
import path from "node:path";
import { DataSource } from "typeorm";
import { hashApiKey } from "../../core/auth/api-keys";
import { insertRow } from "../../core/db/insert";
import { ApiKey } from "../api-key/api-key.entity";
import { Company } from "../company/company.entity";
import { Person, PersonType } from "../person/person.entity";
import { Product } from "../product/product.entity";
import { Site } from "../site/site.entity";
import { adminService } from "./admin.service";

interface DemoFile {
  organizationId: string;
  userId: string;
  apiKey: string;
}

/**
 * On a database with no organization at all, seeds a demo organization to play with and keeps
 * its key in DATA_DIR/demo.json (a local, git-ignored file), so every start can print a key that
 * works. Returns null when the database already had data that was not the demo's.
 *
 * `dataDir` is null on a PostgreSQL server: the key is printed once, when seeded, and no file is
 * read or written (DATA_DIR belongs to the embedded database, which may be another one entirely).
 */
export async function ensureDemo(db: DataSource, dataDir: string | null): Promise<(DemoFile & { seeded: boolean }) | null> {
  const file = dataDir === null ? null : path.join(dataDir, "demo.json");
  const saved = file ? readDemoFile(file) : null;
  if (saved && (await keyStillWorks(db, saved.apiKey))) return { ...saved, seeded: false };

  const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM organization`);
  if (count > 0) {
    if (!saved || !(await db.getRepository(Person).existsBy({ id: saved.userId, organizationId: saved.organizationId }))) {
      return null;
    }
    const fresh = { ...saved, apiKey: (await adminService.createKey(db, { user: saved.userId })).apiKey };
    writeDemoFile(file!, fresh);
    return { ...fresh, seeded: false };
  }

  const demo = await seedDemo(db);
  if (file) writeDemoFile(file, demo);
  return { ...demo, seeded: true };
}

async function seedDemo(db: DataSource): Promise<DemoFile> {
  const { organizationId, userId, apiKey } = await adminService.bootstrap(db, {
    org: "Demo Organization",
    workspace: "Partnerships",
    email: "dana@demo.dealgraph.dev",
    firstName: "Dana",
    lastName: "Demo",
  });
  await db.transaction(async (tx) => {
    const company = (name: string, domain: string) => insertRow(tx, Company, { organizationId, name, domain });
    const acme = await company("Acme Inc", "acme.example");
    const beta = await company("Beta Solutions LLC", "beta.example");
    const gamma = await company("Gamma Facilities", "gamma.example");
    const person = (firstName: string, lastName: string, email: string, companyId: string, referredById: string | null = null) =>
      insertRow(tx, Person, { organizationId, type: PersonType.CONTACT, firstName, lastName, email, companyId, referredById });
    const rita = await person("Rita", "Referrer", "rita@gamma.example", gamma.id);
    await person("Alice", "Seeker", "alice@acme.example", acme.id, rita.id);
    await person("Bob", "Provider", "bob@beta.example", beta.id);
    await insertRow(tx, Product, { organizationId, name: "Beta Building Automation", companyId: beta.id });
    await insertRow(tx, Site, { organizationId, companyId: acme.id, name: "Acme HQ", address: "1 Main Street, Springfield" });
  });
  return { organizationId, userId, apiKey };
}

async function keyStillWorks(db: DataSource, key: string): Promise<boolean> {
  return db
    .getRepository(ApiKey)
    .createQueryBuilder("key")
    .where("key.key_hash = :hash AND key.revoked_at IS NULL AND key.expires_at > now()", { hash: hashApiKey(key) })
    .getExists();
}

function readDemoFile(file: string): DemoFile | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as DemoFile;
  } catch {
    return null;
  }
}

function writeDemoFile(file: string, demo: DemoFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(demo, null, 2) + "\n", { mode: 0o600 });
}
