import { isUUID } from "class-validator";
import { DataSource } from "typeorm";
import { FieldError, InputError } from "../../core/errors/errors";

/**
 * The CLI's read-only listings: what exists, so an operator finds the ids the other commands take.
 * Keys are listed by their public prefix and dates only; the key itself is never stored.
 */
export const adminQueries = {
  async listOrganizations(db: DataSource) {
    return db.query(
      `SELECT o.id, o.name, o.created_at AS "createdAt",
              (SELECT count(*)::int FROM workspace w WHERE w.organization_id = o.id) AS workspaces,
              (SELECT count(*)::int FROM person p WHERE p.organization_id = o.id AND p.type = 'USER') AS users
         FROM organization o ORDER BY o.created_at, o.id`,
    );
  },

  async listWorkspaces(db: DataSource, input: { org?: string }) {
    requireUuid({ org: input.org });
    return db.query(
      `SELECT w.id, w.name, w.created_at AS "createdAt",
              (SELECT count(*)::int FROM workspace_membership m WHERE m.organization_id = w.organization_id AND m.workspace_id = w.id) AS members
         FROM workspace w WHERE w.organization_id = $1 ORDER BY w.created_at, w.id`,
      [input.org],
    );
  },

  async listUsers(db: DataSource, input: { org?: string }) {
    requireUuid({ org: input.org });
    return db.query(
      `SELECT p.id, p.email, p.first_name AS "firstName", p.last_name AS "lastName", p.default_workspace_id AS "defaultWorkspaceId",
              coalesce(array_agg(m.workspace_id ORDER BY m.created_at) FILTER (WHERE m.workspace_id IS NOT NULL), '{}') AS "workspaceIds"
         FROM person p
         LEFT JOIN workspace_membership m ON m.organization_id = p.organization_id AND m.user_id = p.id
        WHERE p.organization_id = $1 AND p.type = 'USER'
        GROUP BY p.organization_id, p.id ORDER BY p.created_at, p.id`,
      [input.org],
    );
  },

  async listKeys(db: DataSource, input: { org?: string; user?: string }) {
    if (input.user === undefined) requireUuid({ org: input.org });
    else requireUuid({ user: input.user });
    const rows: Array<{ id: string; userId: string; prefix: string; createdAt: Date; expiresAt: Date; revokedAt: Date | null }> = await db.query(
      `SELECT k.id, k.user_id AS "userId", k.prefix, k.created_at AS "createdAt", k.expires_at AS "expiresAt", k.revoked_at AS "revokedAt"
         FROM api_key k WHERE ${input.user === undefined ? "k.organization_id" : "k.user_id"} = $1 ORDER BY k.created_at, k.id`,
      [input.user ?? input.org],
    );
    const now = Date.now();
    return rows.map((k) => ({
      ...k,
      status: k.revokedAt ? "revoked" : k.expiresAt.getTime() <= now ? "expired" : "active",
    }));
  },
};

function requireUuid(values: Record<string, string | undefined>): void {
  const fields: FieldError[] = Object.entries(values)
    .filter(([, value]) => !isUUID(value ?? ""))
    .map(([option]) => ({ path: `--${option}`, message: `--${option} must be a UUID`, constraint: "cli" }));
  if (fields.length > 0) throw new InputError(fields);
}
