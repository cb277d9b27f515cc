import { EntityManager, ObjectLiteral, SelectQueryBuilder } from "typeorm";
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
 * A test of the row alone: the deal holds the workspaces it is shared with (`shared_with`, kept
 * from the shares by the deal-shared-with migration's triggers).
 */
export function visibleToMembersOf(alias: string, workspaceIds: string): string {
  return `(${alias}.visibility_mode = 'global'
        OR ${alias}.workspace_id = ANY(${workspaceIds})
        OR (${alias}.visibility_mode = 'shared' AND ${alias}.shared_with && ${workspaceIds}))`;
}

/**
 * How many deals of the kinds `kinds` (archived ones, or those not archived) the viewer may see,
 * without reading a deal: the sum of the counts the deal-counts migrations' triggers keep per
 * workspace, visibility mode and shares (see 1764979200000-deal-shared-with.ts) whose key the
 * visibility rule lets through, so the number of deals `whereVisibleTo` lets through, however
 * many deals an organization has.
 */
export function countVisibleDeals(db: EntityManager, viewer: Viewer, kinds: string[], archived: boolean): SelectQueryBuilder<ObjectLiteral> {
  return db
    .createQueryBuilder()
    .select(`coalesce(sum(counted.deals), 0)`, "count")
    .from("deal_count", "counted")
    .where("counted.organization_id = :viewerOrganizationId AND counted.kind = ANY(:countKinds) AND counted.archived = :countArchived")
    .andWhere(visibleToMembersOf("counted", ":viewerWorkspaceIds"))
    .setParameters({ viewerOrganizationId: viewer.organizationId, viewerWorkspaceIds: viewer.workspaceIds, countKinds: kinds, countArchived: archived });
}

export function whereVisibleTo<T extends object>(qb: SelectQueryBuilder<T>, alias: string, viewer: Viewer): SelectQueryBuilder<T> {
  return qb
    .andWhere(`${alias}.organization_id = :viewerOrganizationId`, { viewerOrganizationId: viewer.organizationId })
    .andWhere(visibleToMembersOf(alias, ":viewerWorkspaceIds"))
    .setParameter("viewerWorkspaceIds", viewer.workspaceIds);
}
