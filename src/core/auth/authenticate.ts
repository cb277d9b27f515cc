import { isUUID } from "class-validator";
import { DataSource } from "typeorm";
import { ForbiddenError, UnauthenticatedError } from "../errors/errors";
import { bearerToken, hashApiKey, isWellFormedApiKey } from "./api-keys";
import { Viewer } from "./viewer";

interface KeyRow {
  key_id: string;
  role: string;
  organization_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  default_workspace_id: string | null;
  workspace_ids: string[];
}

/** Resolves the caller from the request headers in one statement, or throws UNAUTHENTICATED/FORBIDDEN. */
export async function authenticate(
  db: DataSource,
  headers: { authorization?: string; workspaceId?: string },
): Promise<Viewer> {
  const key = bearerToken(headers.authorization);
  if (!key) throw new UnauthenticatedError();
  if (!isWellFormedApiKey(key)) throw new UnauthenticatedError("The API key is malformed.");

  const [row]: KeyRow[] = await db.query(
    `SELECT k.id AS key_id, p.role, k.organization_id, k.user_id, k.expires_at, k.revoked_at, p.default_workspace_id,
            coalesce(array_agg(m.workspace_id ORDER BY m.created_at, m.workspace_id)
                     FILTER (WHERE m.workspace_id IS NOT NULL), '{}') AS workspace_ids
       FROM api_key k
       JOIN person p ON p.organization_id = k.organization_id AND p.id = k.user_id AND p.type = 'USER'
       LEFT JOIN workspace_membership m ON m.organization_id = k.organization_id AND m.user_id = k.user_id
      WHERE k.key_hash = $1
      GROUP BY k.id, p.organization_id, p.id`,
    [hashApiKey(key)],
  );
  if (!row) throw new UnauthenticatedError("The API key is not valid.");
  if (row.revoked_at) throw new UnauthenticatedError("The API key has been revoked.");
  if (row.expires_at.getTime() <= Date.now()) throw new UnauthenticatedError("The API key has expired.");

  return {
    organizationId: row.organization_id,
    userId: row.user_id,
    workspaceId: currentWorkspace(row, headers.workspaceId),
    workspaceIds: row.workspace_ids,
    apiKeyId: row.key_id,
    isAdmin: row.role === "admin",
  };
}

function currentWorkspace(row: KeyRow, requested: string | undefined): string {
  if (requested !== undefined) {
    // Ids are lower-case in the database; a UUID is the same id in any case.
    const workspaceId = requested.trim().toLowerCase();
    if (!isUUID(workspaceId) || !row.workspace_ids.includes(workspaceId)) {
      throw new ForbiddenError(`You are not a member of workspace ${requested}.`);
    }
    return workspaceId;
  }
  if (row.default_workspace_id && row.workspace_ids.includes(row.default_workspace_id)) return row.default_workspace_id;
  if (row.workspace_ids.length > 0) return row.workspace_ids[0];
  throw new ForbiddenError("You are not a member of any workspace.");
}
