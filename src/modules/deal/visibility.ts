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
 */
export function visibleToMembersOf(alias: string, workspaceIds: string): string {
  return `(${alias}.visibility_mode = 'global'
        OR ${alias}.workspace_id = ANY(${workspaceIds})
        OR (${alias}.visibility_mode = 'shared' AND ${sharedWith(alias, workspaceIds)}))`;
}

/** Whether the deal row `alias` is shared with one of the workspaces `workspaceIds` (whatever its visibility mode). */
function sharedWith(alias: string, workspaceIds: string): string {
  return `EXISTS (
              SELECT 1 FROM pipeline_deal_share share
               WHERE share.organization_id = ${alias}.organization_id
                 AND share.deal_id = ${alias}.id
                 AND share.workspace_id = ANY(${workspaceIds}))`;
}

/**
 * How many deals of the kinds `kinds` (archived ones, or those not archived) the viewer may see,
 * without checking the rule deal by deal: the rule's first two parts (global, or in one of the
 * viewer's workspaces) from the counts the deal-counts migration's triggers keep per workspace
 * and visibility mode, plus the deals the third part alone lets in (shared with one of the
 * viewer's workspaces from another one), counted one by one from their partial index. The two
 * parts do not overlap, so the sum is the number of deals `whereVisibleTo` lets through.
 */
export function countVisibleDeals(db: EntityManager, viewer: Viewer, kinds: string[], archived: boolean): SelectQueryBuilder<ObjectLiteral> {
  const sharedFromElsewhere = `SELECT count(*) FROM pipeline_deal deal
     WHERE deal.organization_id = :viewerOrganizationId AND deal.kind = ANY(:countKinds)
       AND deal.visibility_mode = 'shared' AND deal.archived_at IS ${archived ? "NOT NULL" : "NULL"}
       AND deal.workspace_id <> ALL(:viewerWorkspaceIds) AND ${sharedWith("deal", ":viewerWorkspaceIds")}`;
  return db
    .createQueryBuilder()
    .select(`coalesce(sum(counted.deals), 0) + (${sharedFromElsewhere})`, "count")
    .from("deal_count", "counted")
    .where("counted.organization_id = :viewerOrganizationId AND counted.kind = ANY(:countKinds) AND counted.archived = :countArchived")
    .andWhere("(counted.visibility_mode = 'global' OR counted.workspace_id = ANY(:viewerWorkspaceIds))")
    .setParameters({ viewerOrganizationId: viewer.organizationId, viewerWorkspaceIds: viewer.workspaceIds, countKinds: kinds, countArchived: archived });
}

export function whereVisibleTo<T extends object>(qb: SelectQueryBuilder<T>, alias: string, viewer: Viewer): SelectQueryBuilder<T> {
  return qb
    .andWhere(`${alias}.organization_id = :viewerOrganizationId`, { viewerOrganizationId: viewer.organizationId })
    .andWhere(visibleToMembersOf(alias, ":viewerWorkspaceIds"))
    .setParameter("viewerWorkspaceIds", viewer.workspaceIds);
}
