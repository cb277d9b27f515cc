import { Pool, PoolClient } from "pg";
import { generateApiKey } from "../src/core/auth/api-keys";
import { BulkTable, ColumnType } from "./bulk";
import { Random } from "./prng";

/** How many rows of each kind the data set holds; organization, workspaces and users are fixed. */
export interface DatasetSize {
  companies: number;
  people: number;
  products: number;
  sites: number;
  referrals: number;
  opportunities: number;
}

export const FULL_SIZE: DatasetSize = {
  companies: 2_000,
  people: 10_000,
  products: 200,
  sites: 500,
  referrals: 20_000,
  opportunities: 20_000,
};

/** `--quick`: a twentieth of the full set. */
export const QUICK_SIZE: DatasetSize = {
  companies: 100,
  people: 500,
  products: 10,
  sites: 25,
  referrals: 1_000,
  opportunities: 1_000,
};

const WORKSPACES = ["Partnerships", "Sales", "Services"];
const USERS = 5;
const SEED = 20_260_520;

export interface BenchUser {
  id: string;
  apiKey: string;
  workspaceIds: string[];
}

/** What the workloads need to know about the data they run on. */
export interface Dataset {
  size: DatasetSize;
  /** Rows written per table, users, memberships, keys, facilitators and shares included. */
  rows: Record<string, number>;
  organizationId: string;
  workspaceIds: string[];
  /** The requests run as users[0]. */
  users: BenchUser[];
  /** CONTACT people: the seekers and providers of new referrals. */
  contactIds: string[];
  productIds: string[];
  /** Companies with at least one site, with their sites and employees: the customers of new opportunities. */
  customers: Array<{ id: string; siteIds: string[]; employeeIds: string[] }>;
  /** Referral opportunities users[0] may see. */
  visibleReferralIds: string[];
  /**
   * Referral opportunities users[0] may change (sees, and owns or is a member of its workspace):
   * the deals the update and move workloads write to. With the key of the stage each was loaded
   * in, and what decides how many statements reading it back takes (a product, referral sources).
   */
  changeableReferrals: Array<{ id: string; stage: string; hasProduct: boolean; referralSources: number }>;
  /** The REFERRAL pipeline's stage ids by key (lead, introduced, …). */
  referralStageIds: Record<string, string>;
  loadSeconds: number;
}

export interface LoadOptions {
  /**
   * Whether the database has the deal-lifecycle schema (migration 1764028800000): then every deal
   * is written as that migration leaves an existing one (stage entered and, in a won or lost
   * stage, closed at its creation, by its owner: one stage-history row). False loads a database
   * migrated only up to the migration before it, as production held its deals then.
   */
  lifecycle?: boolean;
}

interface StageRow {
  id: string;
  pipeline: "referral" | "sales";
  key: string;
  probability: number;
  closing: boolean;
}

interface Contacts {
  list: PersonFacts[];
  byId: Map<string, PersonFacts>;
}

interface PersonFacts {
  id: string;
  companyId: string | null;
  referredById: string | null;
  displayName: string;
}

const FIRST_NAMES = ["Alice", "Bob", "Carmen", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Keiko", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rita", "Sven", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe"];
const LAST_NAMES = ["Anders", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ivanova", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi", "Schmidt", "Tanaka", "Urban", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer"];
const COMPANY_WORDS = ["Acme", "Beta", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quartz", "Redwood", "Summit", "Tidal", "Union", "Vertex", "Willow", "Zenith"];
const COMPANY_KINDS = ["Solutions", "Facilities", "Energy", "Logistics", "Health", "Systems", "Partners", "Foods", "Labs", "Works"];
const COMPANY_SUFFIXES = ["Inc", "LLC", "GmbH", "Ltd", "SA", "BV"];
const PRODUCT_WORDS = ["Building Automation", "HVAC Retrofit", "Solar Array", "Access Control", "Fire Safety", "Lighting Controls", "Energy Audit", "Metering", "Heat Pump", "Battery Storage"];
const CITIES = ["Springfield", "Riverton", "Lakeside", "Hillview", "Bayport", "Oakdale", "Fairmont", "Westbrook", "Northgate", "Eastwood"];
const SITE_KINDS = ["HQ", "Plant", "Warehouse", "Campus", "Depot", "Office", "Store", "Clinic"];
const SOLUTION_FAMILIES = ["hvac", "lighting", "controls", "solar", "storage", "metering", "safety", "security"];
const PIPELINE_TYPES = ["new_construction", "retrofit", "service_agreement", "expansion", "other"];
const SOURCES = ["referral", "website", "cold_call", "existing_customer", "partner", "trade_show", "portal_request", "other"];
const PRIORITIES = ["low", "medium", "high", "urgent"];
const LOST_REASONS = ["price", "timing", "competitor", "scope_mismatch", "no_decision", "relationship", "other"];
const VISIBILITY = [["workspace_local", 60], ["global", 25], ["shared", 15]] as const;
const CURRENCIES = [["USD", 70], ["EUR", 20], ["GBP", 10]] as const;

/** Every timestamp falls in the two years from this instant, so the data set is the same on every run. */
const EPOCH = Date.UTC(2024, 0, 1);
const TWO_YEARS = 2 * 365 * 86_400_000;

/**
 * The organization's stages: its own (made by the trigger of the organization-stages migration),
 * or the shared ones on a database migrated only up to before it (bench:migration).
 */
async function organizationStages(client: PoolClient, organizationId: string): Promise<StageRow[]> {
  const [{ owned }] = (
    await client.query<{ owned: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'stage' AND column_name = 'organization_id') AS owned",
    )
  ).rows;
  const columns = "id, pipeline, key, probability, is_won OR is_lost AS closing";
  const { rows } = owned
    ? await client.query<StageRow>(`SELECT ${columns} FROM stage WHERE organization_id = $1 ORDER BY pipeline, sort_order`, [organizationId])
    : await client.query<StageRow>(`SELECT ${columns} FROM stage ORDER BY pipeline, sort_order`);
  return rows;
}

/**
 * Generates the data set from a fixed seed and writes it in bulk, table by table, in one
 * transaction. The migrations must have run (the stages come from them).
 */
export async function loadDataset(pool: Pool, size: DatasetSize, { lifecycle = true }: LoadOptions = {}): Promise<Dataset> {
  const started = performance.now();
  const rng = new Random(SEED);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const rows: Record<string, number> = {};
    const write = async (table: BulkTable<any>) => {
      rows[table.table] = (rows[table.table] ?? 0) + (await table.flush(client));
    };

    const organizationId = rng.uuid();
    const organization = new BulkTable<{ id: string; name: string }>("organization", { id: "uuid", name: "text" });
    organization.add({ id: organizationId, name: "Bench Organization" });
    await write(organization);
    const stages = await organizationStages(client, organizationId);

    const workspaceIds = WORKSPACES.map(() => rng.uuid());
    const workspace = new BulkTable<{ organization_id: string; id: string; name: string }>("workspace", {
      organization_id: "uuid",
      id: "uuid",
      name: "text",
    });
    WORKSPACES.forEach((name, i) => workspace.add({ organization_id: organizationId, id: workspaceIds[i], name }));
    await write(workspace);

    const companies = generateCompanies(rng, organizationId, size.companies);
    await write(companies.table);

    const people = personTable();
    const users = addUsers(rng, people, organizationId, workspaceIds);
    const contacts = addContacts(rng, people, organizationId, size.people, companies);
    await write(people);
    await writeMemberships(write, rng, organizationId, users);
    await writeApiKeys(write, rng, organizationId, users);

    const productIds = await writeProducts(write, rng, organizationId, size.products, companies.ids);
    const sites = await writeSites(write, rng, organizationId, size.sites, companies);

    const visibleTo = new Set(users[0].workspaceIds);
    const deals = dealTable(lifecycle);
    const facilitators = facilitatorTable();
    const shares = new BulkTable<{ organization_id: string; deal_id: string; workspace_id: string; created_at: Date }>("pipeline_deal_share", {
      organization_id: "uuid",
      deal_id: "uuid",
      workspace_id: "uuid",
      created_at: "timestamptz",
    });
    const visibleReferralIds: string[] = [];
    const changeableReferrals: Dataset["changeableReferrals"] = [];
    const history = lifecycle ? stageHistoryTable() : null;
    const common = { rng, organizationId, workspaceIds, users, shares, visibleTo, history };

    for (let i = 0; i < size.referrals; i++) {
      const deal = addReferral(common, deals, facilitators, contacts, stages, productIds, companies.names);
      if (deal.visible) visibleReferralIds.push(deal.id);
      if (deal.changeable) changeableReferrals.push(deal.facts);
    }
    for (let i = 0; i < size.opportunities; i++) addOpportunity(common, deals, stages, sites, companies, contacts);
    await write(deals);
    await write(facilitators);
    await write(shares);
    if (history) await write(history);

    await client.query("COMMIT");
    // As a production table is once autovacuum has been by: visibility map built (index-only
    // scans), hint bits set, statistics gathered.
    await client.query("VACUUM (ANALYZE)");

    const employees = new Map<string, string[]>();
    for (const person of contacts.list) {
      if (person.companyId) employees.set(person.companyId, [...(employees.get(person.companyId) ?? []), person.id]);
    }
    return {
      size,
      rows,
      organizationId,
      workspaceIds,
      users,
      contactIds: contacts.list.map((person) => person.id),
      productIds,
      customers: [...sites.byCompany].map(([id, siteIds]) => ({ id, siteIds, employeeIds: employees.get(id) ?? [] })),
      visibleReferralIds,
      changeableReferrals,
      referralStageIds: Object.fromEntries(stages.filter((stage) => stage.pipeline === "referral").map((stage) => [stage.key, stage.id])),
      loadSeconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

type Write = (table: BulkTable<any>) => Promise<void>;

interface Companies {
  table: BulkTable<any>;
  ids: string[];
  names: Map<string, string>;
}

function generateCompanies(rng: Random, organizationId: string, count: number): Companies {
  const table = new BulkTable<{ organization_id: string; id: string; name: string; domain: string; created_at: Date; updated_at: Date }>(
    "company",
    { organization_id: "uuid", id: "uuid", name: "text", domain: "text", created_at: "timestamptz", updated_at: "timestamptz" },
  );
  const ids: string[] = [];
  const names = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const word = rng.pick(COMPANY_WORDS);
    const name = `${word} ${rng.pick(COMPANY_KINDS)} ${rng.pick(COMPANY_SUFFIXES)}`;
    const id = rng.uuid();
    const createdAt = timestamp(rng);
    table.add({ organization_id: organizationId, id, name, domain: `${word.toLowerCase()}${i}.example`, created_at: createdAt, updated_at: createdAt });
    ids.push(id);
    names.set(id, name);
  }
  return { table, ids, names };
}

function personTable() {
  return new BulkTable<{
    organization_id: string;
    id: string;
    type: "USER" | "CONTACT";
    first_name: string;
    last_name: string;
    name: string | null;
    email: string;
    company_id: string | null;
    referred_by_id: string | null;
    default_workspace_id: string | null;
    created_at: Date;
    updated_at: Date;
  }>("person", {
    organization_id: "uuid",
    id: "uuid",
    type: "text",
    first_name: "text",
    last_name: "text",
    name: "text",
    email: "text",
    company_id: "uuid",
    referred_by_id: "uuid",
    default_workspace_id: "uuid",
    created_at: "timestamptz",
    updated_at: "timestamptz",
  });
}

/** Five users; user i works in workspaces i and i+1 (mod 3), so each sees some deals and not others. */
function addUsers(rng: Random, people: ReturnType<typeof personTable>, organizationId: string, workspaceIds: string[]): BenchUser[] {
  const users: BenchUser[] = [];
  for (let i = 0; i < USERS; i++) {
    const id = rng.uuid();
    const firstName = FIRST_NAMES[i];
    const lastName = LAST_NAMES[i];
    const memberOf = [workspaceIds[i % workspaceIds.length], workspaceIds[(i + 1) % workspaceIds.length]];
    people.add({
      organization_id: organizationId,
      id,
      type: "USER",
      first_name: firstName,
      last_name: lastName,
      name: null,
      email: `${firstName}.${lastName}@bench.dealgraph.dev`.toLowerCase(),
      company_id: null,
      referred_by_id: null,
      default_workspace_id: memberOf[0],
      created_at: new Date(EPOCH),
      updated_at: new Date(EPOCH),
    });
    users.push({ id, apiKey: "", workspaceIds: memberOf });
  }
  return users;
}

/** CONTACT people: most work at a company; every third was referred by someone added before them. */
function addContacts(rng: Random, people: ReturnType<typeof personTable>, organizationId: string, count: number, companies: Companies): Contacts {
  const contacts: PersonFacts[] = [];
  for (let i = 0; i < count; i++) {
    const id = rng.uuid();
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const name = rng.chance(0.1) ? `${firstName} ${lastName[0]}.` : null;
    const companyId = rng.chance(0.9) ? rng.pick(companies.ids) : null;
    const referredById = i % 3 === 2 ? contacts[rng.int(0, i - 1)].id : null;
    const createdAt = timestamp(rng);
    people.add({
      organization_id: organizationId,
      id,
      type: "CONTACT",
      first_name: firstName,
      last_name: lastName,
      name,
      email: `${firstName}.${lastName}.${i}@contacts.example`.toLowerCase(),
      company_id: companyId,
      referred_by_id: referredById,
      default_workspace_id: null,
      created_at: createdAt,
      updated_at: createdAt,
    });
    contacts.push({ id, companyId, referredById, displayName: name ?? `${firstName} ${lastName}` });
  }
  return { list: contacts, byId: new Map(contacts.map((person) => [person.id, person])) };
}

async function writeMemberships(write: Write, rng: Random, organizationId: string, users: BenchUser[]): Promise<void> {
  const memberships = new BulkTable<{ organization_id: string; id: string; workspace_id: string; user_id: string; created_at: Date }>(
    "workspace_membership",
    { organization_id: "uuid", id: "uuid", workspace_id: "uuid", user_id: "uuid", created_at: "timestamptz" },
  );
  for (const user of users) {
    user.workspaceIds.forEach((workspaceId, i) =>
      memberships.add({ organization_id: organizationId, id: rng.uuid(), workspace_id: workspaceId, user_id: user.id, created_at: new Date(EPOCH + i) }),
    );
  }
  await write(memberships);
}

/** One key per user, stored as the service stores them: the hash only. */
async function writeApiKeys(write: Write, rng: Random, organizationId: string, users: BenchUser[]): Promise<void> {
  const keys = new BulkTable<{ organization_id: string; id: string; user_id: string; prefix: string; key_hash: Buffer; expires_at: Date }>("api_key", {
    organization_id: "uuid",
    id: "uuid",
    user_id: "uuid",
    prefix: "text",
    key_hash: "bytea",
    expires_at: "timestamptz",
  });
  for (const user of users) {
    const { key, hash, prefix } = generateApiKey();
    user.apiKey = key;
    keys.add({ organization_id: organizationId, id: rng.uuid(), user_id: user.id, prefix, key_hash: hash, expires_at: new Date(Date.now() + 86_400_000) });
  }
  await write(keys);
}

async function writeProducts(write: Write, rng: Random, organizationId: string, count: number, companyIds: string[]): Promise<string[]> {
  const products = new BulkTable<{ organization_id: string; id: string; name: string; description: string | null; company_id: string; created_at: Date; updated_at: Date }>(
    "product",
    { organization_id: "uuid", id: "uuid", name: "text", description: "text", company_id: "uuid", created_at: "timestamptz", updated_at: "timestamptz" },
  );
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = rng.uuid();
    const name = `${rng.pick(COMPANY_WORDS)} ${rng.pick(PRODUCT_WORDS)}`;
    const createdAt = timestamp(rng);
    products.add({
      organization_id: organizationId,
      id,
      name,
      description: rng.chance(0.5) ? `${name}, installed and maintained.` : null,
      company_id: rng.pick(companyIds),
      created_at: createdAt,
      updated_at: createdAt,
    });
    ids.push(id);
  }
  await write(products);
  return ids;
}

interface Sites {
  list: Array<{ id: string; companyId: string; name: string }>;
  byCompany: Map<string, string[]>;
}

async function writeSites(write: Write, rng: Random, organizationId: string, count: number, companies: Companies): Promise<Sites> {
  const table = new BulkTable<{ organization_id: string; id: string; company_id: string; name: string; address: string; created_at: Date; updated_at: Date }>(
    "site",
    { organization_id: "uuid", id: "uuid", company_id: "uuid", name: "text", address: "text", created_at: "timestamptz", updated_at: "timestamptz" },
  );
  const list: Sites["list"] = [];
  const byCompany = new Map<string, string[]>();
  for (let i = 0; i < count; i++) {
    const id = rng.uuid();
    const companyId = rng.pick(companies.ids);
    const city = rng.pick(CITIES);
    const name = `${city} ${rng.pick(SITE_KINDS)}`;
    const createdAt = timestamp(rng);
    table.add({ organization_id: organizationId, id, company_id: companyId, name, address: `${rng.int(1, 999)} Main Street, ${city}`, created_at: createdAt, updated_at: createdAt });
    list.push({ id, companyId, name });
    byCompany.set(companyId, [...(byCompany.get(companyId) ?? []), id]);
  }
  await write(table);
  return { list, byCompany };
}

type DealRow = {
  organization_id: string;
  id: string;
  kind: "referral" | "opportunity";
  name: string;
  description: string | null;
  value: string | null;
  currency: string;
  stage_id: string;
  owner_id: string;
  workspace_id: string;
  visibility_mode: string;
  seeker_id?: string;
  provider_id?: string;
  connector_id?: string;
  product_id?: string | null;
  customer_id?: string;
  primary_contact_id?: string | null;
  site_id?: string | null;
  pipeline_type?: string;
  source?: string | null;
  expected_close_date?: Date | null;
  probability?: number;
  solution_families?: string[] | null;
  scope_summary?: string | null;
  competitor_notes?: string | null;
  win_loss_reason?: string | null;
  next_step_description?: string | null;
  next_step_date?: Date | null;
  bid_due_date?: Date | null;
  budget_confirmed?: boolean;
  priority?: string | null;
  lost_reason_category?: string | null;
  technical_requirements?: string | null;
  created_at: Date;
  updated_at: Date;
  stage_entered_at?: Date;
  closed_at?: Date | null;
};

const LIFECYCLE_COLUMNS = new Set(["stage_entered_at", "closed_at"]);

function dealTable(lifecycle: boolean) {
  const columns: { [K in keyof DealRow]-?: ColumnType } = {
    organization_id: "uuid",
    id: "uuid",
    kind: "text",
    name: "text",
    description: "text",
    value: "numeric",
    currency: "text",
    stage_id: "uuid",
    owner_id: "uuid",
    workspace_id: "uuid",
    visibility_mode: "text",
    seeker_id: "uuid",
    provider_id: "uuid",
    connector_id: "uuid",
    product_id: "uuid",
    customer_id: "uuid",
    primary_contact_id: "uuid",
    site_id: "uuid",
    pipeline_type: "text",
    source: "text",
    expected_close_date: "timestamptz",
    probability: "smallint",
    solution_families: "text[]",
    scope_summary: "text",
    competitor_notes: "text",
    win_loss_reason: "text",
    next_step_description: "text",
    next_step_date: "timestamptz",
    bid_due_date: "timestamptz",
    budget_confirmed: "boolean",
    priority: "text",
    lost_reason_category: "text",
    technical_requirements: "text",
    created_at: "timestamptz",
    updated_at: "timestamptz",
    stage_entered_at: "timestamptz",
    closed_at: "timestamptz",
  };
  // Before the lifecycle migration the table has no such columns (and version and archive keep their defaults after it).
  const written = lifecycle ? columns : (Object.fromEntries(Object.entries(columns).filter(([name]) => !LIFECYCLE_COLUMNS.has(name))) as typeof columns);
  return new BulkTable<DealRow>("pipeline_deal", written);
}

/** Stage history without ids of its own (the column default makes them): none of the generator's random draws go to it. */
function stageHistoryTable() {
  return new BulkTable<{ organization_id: string; deal_id: string; to_stage_id: string; changed_at: Date; changed_by_id: string }>("deal_stage_change", {
    organization_id: "uuid",
    deal_id: "uuid",
    to_stage_id: "uuid",
    changed_at: "timestamptz",
    changed_by_id: "uuid",
  });
}

function facilitatorTable() {
  return new BulkTable<{
    organization_id: string;
    id: string;
    deal_id: string;
    person_id: string;
    company_id: string | null;
    role: "connector" | "referral_source";
    side: "seeker" | "provider";
    created_at: Date;
  }>("pipeline_deal_facilitator", {
    organization_id: "uuid",
    id: "uuid",
    deal_id: "uuid",
    person_id: "uuid",
    company_id: "uuid",
    role: "text",
    side: "text",
    created_at: "timestamptz",
  });
}

interface DealContext {
  rng: Random;
  organizationId: string;
  workspaceIds: string[];
  users: BenchUser[];
  shares: BulkTable<{ organization_id: string; deal_id: string; workspace_id: string; created_at: Date }>;
  /** users[0]'s workspaces. */
  visibleTo: Set<string>;
  /** With the lifecycle schema: each deal's creation entry. */
  history: ReturnType<typeof stageHistoryTable> | null;
}

/**
 * Adds a deal; with the lifecycle schema, as the lifecycle migration leaves a deal made before
 * it: it entered its stage, and closed when that stage is won or lost, at its creation, by its owner.
 */
function addDeal(ctx: DealContext, deals: ReturnType<typeof dealTable>, stage: StageRow, row: DealRow): void {
  if (!ctx.history) return deals.add(row);
  deals.add({ ...row, stage_entered_at: row.created_at, closed_at: stage.closing ? row.created_at : null });
  ctx.history.add({ organization_id: row.organization_id, deal_id: row.id, to_stage_id: stage.id, changed_at: row.created_at, changed_by_id: row.owner_id });
}

/** The columns every deal has, and whether users[0] may see it (sharing it when its mode is shared). */
function dealBasics(ctx: DealContext, stage: StageRow) {
  const { rng } = ctx;
  const id = rng.uuid();
  const workspaceId = rng.pick(ctx.workspaceIds);
  const visibility = rng.weighted(VISIBILITY);
  const createdAt = timestamp(rng);
  let visible = visibility === "global" || ctx.visibleTo.has(workspaceId);
  if (visibility === "shared") {
    const sharedWith = rng.pick(ctx.workspaceIds.filter((other) => other !== workspaceId));
    ctx.shares.add({ organization_id: ctx.organizationId, deal_id: id, workspace_id: sharedWith, created_at: createdAt });
    visible ||= ctx.visibleTo.has(sharedWith);
  }
  return {
    visible,
    row: {
      organization_id: ctx.organizationId,
      id,
      currency: rng.weighted(CURRENCIES),
      stage_id: stage.id,
      workspace_id: workspaceId,
      visibility_mode: visibility,
      created_at: createdAt,
      updated_at: new Date(createdAt.getTime() + rng.int(0, 30 * 86_400_000)),
    },
  };
}

/** A referral with its facilitators, following the service's rules (connector side, referral sources). */
function addReferral(
  ctx: DealContext,
  deals: ReturnType<typeof dealTable>,
  facilitators: ReturnType<typeof facilitatorTable>,
  contacts: Contacts,
  stages: StageRow[],
  productIds: string[],
  companyNames: Map<string, string>,
) {
  const { rng } = ctx;
  const stage = rng.weighted(stages.filter((s) => s.pipeline === "referral").map((s, i) => [s, [40, 25, 15, 12, 8][i] ?? 5] as const));
  const seeker = rng.pick(contacts.list);
  let provider = rng.pick(contacts.list);
  while (provider.id === seeker.id) provider = rng.pick(contacts.list);
  const byUser = rng.chance(0.7);
  const owner = rng.pick(ctx.users);
  let connector: PersonFacts = { id: owner.id, companyId: null, referredById: null, displayName: "" };
  if (!byUser) {
    do connector = rng.pick(contacts.list);
    while (connector.id === seeker.id || connector.id === provider.id);
  }
  const party = (person: PersonFacts) => (person.companyId ? companyNames.get(person.companyId)! : person.displayName);
  const { row, visible } = dealBasics(ctx, stage);
  const deal: DealRow = {
    ...row,
    kind: "referral",
    name: `${party(seeker)} → ${party(provider)}`.slice(0, 200),
    description: rng.chance(0.5) ? "Met at the regional partner summit; both sides asked for an introduction." : null,
    value: rng.chance(0.7) ? (rng.int(100_000, 50_000_000) / 100).toFixed(2) : null,
    owner_id: owner.id,
    seeker_id: seeker.id,
    provider_id: provider.id,
    connector_id: connector.id,
    product_id: rng.chance(0.6) ? rng.pick(productIds) : null,
  };
  addDeal(ctx, deals, stage, deal);

  const parties = new Set([seeker.id, provider.id, connector.id]);
  const onSide = { seeker: new Set<string>(), provider: new Set<string>() };
  let referralSources = 0;
  const facilitator = (person: { id: string; companyId: string | null }, role: "connector" | "referral_source", side: "seeker" | "provider") => {
    if (onSide[side].has(person.id)) return;
    onSide[side].add(person.id);
    if (role === "referral_source") referralSources++;
    facilitators.add({
      organization_id: ctx.organizationId,
      id: rng.uuid(),
      deal_id: row.id,
      person_id: person.id,
      company_id: person.companyId,
      role,
      side,
      created_at: row.created_at,
    });
  };
  const connectorSide = connector.companyId && connector.companyId === provider.companyId ? "provider" : "seeker";
  facilitator(connector, "connector", connectorSide);
  for (const [side, person] of [["seeker", seeker], ["provider", provider]] as const) {
    if (person.referredById && !parties.has(person.referredById)) {
      facilitator(contacts.byId.get(person.referredById)!, "referral_source", side);
    }
  }
  // Who may change a deal (deal.rules.ts), among those who can see it at all.
  const changeable = visible && (owner.id === ctx.users[0].id || ctx.visibleTo.has(row.workspace_id));
  return { id: row.id, visible, changeable, facts: { id: row.id, stage: stage.key, hasProduct: Boolean(deal.product_id), referralSources } };
}

function addOpportunity(
  ctx: DealContext,
  deals: ReturnType<typeof dealTable>,
  stages: StageRow[],
  sites: Sites,
  companies: Companies,
  contacts: Contacts,
) {
  const { rng } = ctx;
  const stage = rng.weighted(stages.filter((s) => s.pipeline === "sales").map((s, i) => [s, [30, 20, 12, 12, 8, 10, 8][i] ?? 5] as const));
  const site = sites.list.length > 0 && rng.chance(0.6) ? rng.pick(sites.list) : null;
  const customerId = site?.companyId ?? rng.pick(companies.ids);
  const contact = rng.chance(0.8) ? rng.pick(contacts.list) : null;
  const pipelineType = rng.pick(PIPELINE_TYPES);
  const closed = stage.key === "won" || stage.key === "lost";
  const { row } = dealBasics(ctx, stage);
  const day = () => new Date(EPOCH + rng.int(0, TWO_YEARS + 365 * 86_400_000));
  addDeal(ctx, deals, stage, {
    ...row,
    kind: "opportunity",
    name: `${companies.names.get(customerId)} — ${pipelineType.replace("_", " ")}${site ? ` at ${site.name}` : ""}`.slice(0, 200),
    description: rng.chance(0.4) ? "Customer asked for a phased plan." : null,
    value: rng.chance(0.8) ? (rng.int(500_000, 200_000_000) / 100).toFixed(2) : null,
    owner_id: rng.pick(ctx.users).id,
    customer_id: customerId,
    primary_contact_id: contact?.id ?? null,
    site_id: site?.id ?? null,
    pipeline_type: pipelineType,
    source: rng.chance(0.7) ? rng.pick(SOURCES) : null,
    expected_close_date: rng.chance(0.8) ? day() : null,
    probability: stage.probability,
    solution_families: rng.chance(0.6) ? [...new Set([rng.pick(SOLUTION_FAMILIES), rng.pick(SOLUTION_FAMILIES)])] : [],
    scope_summary: rng.chance(0.5) ? "Replace rooftop units and add controls across the site." : null,
    competitor_notes: rng.chance(0.2) ? "Incumbent vendor is bidding too." : null,
    win_loss_reason: closed && rng.chance(0.7) ? "Decided on total cost of ownership." : null,
    next_step_description: rng.chance(0.4) ? "Schedule the site walk." : null,
    next_step_date: rng.chance(0.4) ? day() : null,
    bid_due_date: rng.chance(0.3) ? day() : null,
    budget_confirmed: rng.chance(0.4),
    priority: rng.chance(0.7) ? rng.pick(PRIORITIES) : null,
    lost_reason_category: stage.key === "lost" ? rng.pick(LOST_REASONS) : null,
    technical_requirements: rng.chance(0.2) ? "BACnet integration with the existing BMS." : null,
  });
}

function timestamp(rng: Random): Date {
  return new Date(EPOCH + Math.floor(rng.next() * TWO_YEARS));
}
