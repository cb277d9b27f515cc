import { isUUID } from "class-validator";
import { DataSource } from "typeorm";
import { ForbiddenError, UnauthenticatedError } from "../errors/errors";
import { bearerToken, hashApiKey, isWellFormedApiKey } from "./api-keys";
import { authCacheOf, ResolvedKey } from "./auth-cache";
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

/**
 * Resolves the caller from the request headers, or throws UNAUTHENTICATED/FORBIDDEN: a key seen
 * recently is resolved from the service's cache (auth-cache.ts) without a statement, any other in
 * one statement. Expiry is checked against the clock and the workspace chosen on every request.
 */
export async function authenticate(
  db: DataSource,
  headers: { authorization?: string; workspaceId?: string },
): Promise<Viewer> {
  const key = bearerToken(headers.authorization);
  if (!key) throw new UnauthenticatedError();
  if (!isWellFormedApiKey(key)) throw new UnauthenticatedError("The API key is malformed.");

  const hash = hashApiKey(key);
  const cache = authCacheOf(db);
  const cacheKey = hash.toString("base64");
  let resolved = cache?.get(cacheKey, Date.now());
  if (resolved === undefined) {
    const ticket = cache?.ticket() ?? null;
    resolved = await resolveKey(db, hash);
    cache?.set(cacheKey, resolved, ticket, Date.now());
  }
  if (!resolved) throw new UnauthenticatedError("The API key is not valid.");
  if (resolved.revoked) throw new UnauthenticatedError("The API key has been revoked.");
  if (resolved.expiresAt <= Date.now()) throw new UnauthenticatedError("The API key has expired.");

  return {
    organizationId: resolved.organizationId,
    userId: resolved.userId,
    workspaceId: currentWorkspace(resolved, headers.workspaceId),
    workspaceIds: resolved.workspaceIds as string[],
    apiKeyId: resolved.keyId,
    isAdmin: resolved.isAdmin,
  };
}

/** The key, its user's role and memberships, in one statement; null when no user has that key. */
async function resolveKey(db: DataSource, hash: Buffer): Promise<ResolvedKey | null> {
  const [row]: KeyRow[] = await db.query(
    `SELECT k.id AS key_id, p.role, k.organization_id, k.user_id, k.expires_at, k.revoked_at, p.default_workspace_id,
            coalesce(array_agg(m.workspace_id ORDER BY m.created_at, m.workspace_id)
                     FILTER (WHERE m.workspace_id IS NOT NULL), '{}') AS workspace_ids
       FROM api_key k
       JOIN person p ON p.organization_id = k.organization_id AND p.id = k.user_id AND p.type = 'USER'
       LEFT JOIN workspace_membership m ON m.organization_id = k.organization_id AND m.user_id = k.user_id
      WHERE k.key_hash = $1
      GROUP BY k.id, p.organization_id, p.id`,
    [hash],
  );
  if (!row) return null;
  return {
    keyId: row.key_id,
    organizationId: row.organization_id,
    userId: row.user_id,
    isAdmin: row.role === "admin",
    expiresAt: row.expires_at.getTime(),
    revoked: row.revoked_at !== null,
    defaultWorkspaceId: row.default_workspace_id,
    workspaceIds: row.workspace_ids,
  };
}

function currentWorkspace(key: ResolvedKey, requested: string | undefined): string {
  if (requested !== undefined) {
    // Ids are lower-case in the database; a UUID is the same id in any case.
    const workspaceId = requested.trim().toLowerCase();
    if (!isUUID(workspaceId) || !key.workspaceIds.includes(workspaceId)) {
      throw new ForbiddenError(`You are not a member of workspace ${requested}.`);
    }
    return workspaceId;
  }
  if (key.defaultWorkspaceId && key.workspaceIds.includes(key.defaultWorkspaceId)) return key.defaultWorkspaceId;
  if (key.workspaceIds.length > 0) return key.workspaceIds[0];
  throw new ForbiddenError("You are not a member of any workspace.");
}
