import { isEmail, isUUID } from "class-validator";
import { DataSource, EntityManager } from "typeorm";
import { DEFAULT_KEY_LIFETIME_DAYS, generateApiKey, hashApiKey, isWellFormedApiKey } from "../../core/auth/api-keys";
import { authChanged } from "../../core/auth/auth-cache";
import { insertRow } from "../../core/db/insert";
import { ConflictError, FieldError, InputError, NotFoundError } from "../../core/errors/errors";
import { ApiKey } from "../api-key/api-key.entity";
import { Organization } from "../organization/organization.entity";
import { OrganizationRole, Person, PersonType } from "../person/person.entity";
import { assertUserEmailFree } from "../person/person.queries";
import { WorkspaceMembership } from "../workspace/workspace-membership.entity";
import { Workspace } from "../workspace/workspace.entity";

export interface NewUser {
  email: string;
  firstName: string;
  lastName: string;
}

/**
 * The operations of the admin CLI (and of the demo seed): tenants, workspaces, users and keys.
 * Each checks its input first and writes in one transaction. One that changes what existing keys
 * resolve to (revokeKey, setRole, addMember) says so to this process's key cache once committed
 * (authChanged), so that its next request sees it; the database's trigger tells every other.
 */
export const adminService = {
  async bootstrap(db: DataSource, input: { org: string; workspace: string } & NewUser) {
    check({ org: nonBlank(input.org), workspace: nonBlank(input.workspace), ...userProblems(input) });
    return db.transaction(async (tx) => {
      const organization = await insertRow(tx, Organization, { name: input.org.trim() });
      const workspace = await insertRow(tx, Workspace, { organizationId: organization.id, name: input.workspace.trim() });
      // The user an organization is made with administers it.
      const user = await insertUser(tx, organization.id, workspace.id, input, OrganizationRole.ADMIN);
      const apiKey = await insertKey(tx, user, DEFAULT_KEY_LIFETIME_DAYS);
      return { organizationId: organization.id, workspaceId: workspace.id, userId: user.id, apiKey: apiKey.key };
    });
  },

  async createWorkspace(db: DataSource, input: { org: string; name: string }) {
    check({ org: uuid(input.org), name: nonBlank(input.name) });
    return db.transaction(async (tx) => {
      if (!(await tx.getRepository(Organization).existsBy({ id: input.org }))) throw new NotFoundError("Organization", input.org);
      const workspace = await insertRow(tx, Workspace, { organizationId: input.org, name: input.name.trim() });
      return { organizationId: input.org, workspaceId: workspace.id, name: workspace.name };
    });
  },

  async createUser(db: DataSource, input: { org: string; workspace: string } & NewUser) {
    check({ org: uuid(input.org), workspace: uuid(input.workspace), ...userProblems(input) });
    return db.transaction(async (tx) => {
      await findWorkspace(tx, input.workspace, input.org);
      const user = await insertUser(tx, input.org, input.workspace, input);
      return { organizationId: input.org, workspaceId: input.workspace, userId: user.id };
    });
  },

  /** Makes a user an organization admin or a member again. */
  async setRole(db: DataSource, input: { user: string; role: string }) {
    const roles = Object.values(OrganizationRole) as string[];
    check({ user: uuid(input.user), role: roles.includes(input.role) ? null : `must be one of ${roles.join(", ")}` });
    // In WITH … SELECT: TypeORM answers a bare UPDATE with [rows, count].
    const [row] = await db.query(
      `WITH changed AS (UPDATE person SET role = $2, updated_at = now() WHERE id = $1 AND type = 'USER' RETURNING organization_id, id, role)
       SELECT * FROM changed`,
      [input.user, input.role],
    );
    if (!row) throw new NotFoundError("User", input.user);
    authChanged(db, row.organization_id);
    return { organizationId: row.organization_id as string, userId: row.id as string, role: row.role as string };
  },

  async addMember(db: DataSource, input: { workspace: string; user: string }) {
    check({ workspace: uuid(input.workspace), user: uuid(input.user) });
    const added = await db.transaction(async (tx) => {
      const workspace = await findWorkspace(tx, input.workspace);
      const user = await findUser(tx, input.user, workspace.organizationId);
      const already = await tx
        .getRepository(WorkspaceMembership)
        .existsBy({ organizationId: workspace.organizationId, workspaceId: workspace.id, userId: user.id });
      if (already) throw new ConflictError(`User ${user.id} is already a member of workspace ${workspace.id}.`);
      const membership = await insertRow(tx, WorkspaceMembership, {
        organizationId: workspace.organizationId,
        workspaceId: workspace.id,
        userId: user.id,
      });
      return { membershipId: membership.id, workspaceId: workspace.id, userId: user.id, organizationId: workspace.organizationId };
    });
    authChanged(db, added.organizationId);
    return { membershipId: added.membershipId, workspaceId: added.workspaceId, userId: added.userId };
  },

  async createKey(db: DataSource, input: { user: string; days?: number }) {
    const days = input.days ?? DEFAULT_KEY_LIFETIME_DAYS;
    check({
      user: uuid(input.user),
      days: Number.isInteger(days) && days >= 1 && days <= 3650 ? null : "must be a whole number of days from 1 to 3650",
    });
    return db.transaction(async (tx) => {
      const user = await findUser(tx, input.user);
      const { key, row } = await insertKey(tx, user, days);
      return { userId: user.id, apiKey: key, expiresAt: row.expiresAt.toISOString() };
    });
  },

  async revokeKey(db: DataSource, input: { key: string }) {
    check({ key: isWellFormedApiKey(input.key ?? "") ? null : "must be a dealgraph API key (dg_…)" });
    const { raw } = await db
      .createQueryBuilder()
      .update(ApiKey)
      .set({ revokedAt: () => "coalesce(revoked_at, now())" })
      .where("key_hash = :hash", { hash: hashApiKey(input.key) })
      .returning("id, organization_id, revoked_at")
      .execute();
    if (raw.length === 0) throw new NotFoundError("API key", input.key.slice(0, 11) + "…");
    authChanged(db, raw[0].organization_id);
    return { keyId: raw[0].id as string, revokedAt: (raw[0].revoked_at as Date).toISOString() };
  },
};

async function insertUser(
  tx: EntityManager,
  organizationId: string,
  workspaceId: string,
  input: NewUser,
  role = OrganizationRole.MEMBER,
): Promise<Person> {
  const email = input.email.trim().toLowerCase();
  await assertUserEmailFree(tx, organizationId, email);
  const user = await insertRow(tx, Person, {
    organizationId,
    type: PersonType.USER,
    email,
    firstName: input.firstName.trim(),
    lastName: input.lastName.trim(),
    defaultWorkspaceId: workspaceId,
    role,
  });
  await insertRow(tx, WorkspaceMembership, { organizationId, workspaceId, userId: user.id });
  return user;
}

async function insertKey(tx: EntityManager, user: Person, days: number) {
  const { key, hash, prefix } = generateApiKey();
  const row = await insertRow(tx, ApiKey, {
    organizationId: user.organizationId,
    userId: user.id,
    prefix,
    keyHash: hash,
    expiresAt: new Date(Date.now() + days * 86_400_000),
  });
  return { key, row };
}

async function findWorkspace(tx: EntityManager, id: string, organizationId?: string): Promise<Workspace> {
  const workspace = await tx.getRepository(Workspace).findOneBy(organizationId ? { id, organizationId } : { id });
  if (!workspace) throw new NotFoundError("Workspace", id);
  return workspace;
}

async function findUser(tx: EntityManager, id: string, organizationId?: string): Promise<Person> {
  const user = await tx
    .getRepository(Person)
    .findOneBy(organizationId ? { id, organizationId, type: PersonType.USER } : { id, type: PersonType.USER });
  if (!user) throw new NotFoundError("User", id);
  return user;
}

function userProblems(input: NewUser) {
  return {
    email: isEmail(input.email ?? "") ? null : "must be an email address",
    "first-name": nonBlank(input.firstName),
    "last-name": nonBlank(input.lastName),
  };
}

const nonBlank = (value: string | undefined) => (value?.trim() ? null : "is required and must not be blank");
const uuid = (value: string | undefined) => (isUUID(value ?? "") ? null : "must be a UUID");

/** Reports every bad option at once, named as on the command line. */
function check(problems: Record<string, string | null>): void {
  const fields: FieldError[] = Object.entries(problems)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([option, message]) => ({ path: `--${option}`, message: `--${option} ${message}`, constraint: "cli" }));
  if (fields.length > 0) throw new InputError(fields);
}
