import { SelectQueryBuilder } from "typeorm";
import { Viewer } from "../../core/auth/viewer";

/**
 * The visibility rule, applied in SQL by every read of a deal (by id, lists, the interface,
 * nested fields), so a deal the viewer may not see is never fetched at all:
 * - GLOBAL: anyone in the organization;
 * - WORKSPACE_LOCAL: members of the deal's workspace;
 * - SHARED: those, plus members of any workspace the deal is shared with.
 *
 * As SQL over the deal row `alias`, for a viewer who is a member of the workspaces in the array
 * expression `workspaceIds` (a parameter, or a subquery per viewer when many are checked at once).
 */
export function visibleToMembersOf(alias: string, workspaceIds: string): string {
  return `(${alias}.visibility_mode = 'global'
        OR ${alias}.workspace_id = ANY(${workspaceIds})
        OR (${alias}.visibility_mode = 'shared' AND EXISTS (
              SELECT 1 FROM pipeline_deal_share share
               WHERE share.organization_id = ${alias}.organization_id
                 AND share.deal_id = ${alias}.id
                 AND share.workspace_id = ANY(${workspaceIds}))))`;
}

export function whereVisibleTo<T extends object>(qb: SelectQueryBuilder<T>, alias: string, viewer: Viewer): SelectQueryBuilder<T> {
  return qb
    .andWhere(`${alias}.organization_id = :viewerOrganizationId`, { viewerOrganizationId: viewer.organizationId })
    .andWhere(visibleToMembersOf(alias, ":viewerWorkspaceIds"))
    .setParameter("viewerWorkspaceIds", viewer.workspaceIds);
}
