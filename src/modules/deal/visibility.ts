import { Brackets, SelectQueryBuilder } from "typeorm";
import { Viewer } from "../../core/auth/viewer";

/**
 * The visibility rule, applied in SQL by every read of a deal (by id, lists, the interface,
 * nested fields), so a deal the viewer may not see is never fetched at all:
 * - GLOBAL: anyone in the organization;
 * - WORKSPACE_LOCAL: members of the deal's workspace;
 * - SHARED: those, plus members of any workspace the deal is shared with.
 */
export function whereVisibleTo<T extends object>(qb: SelectQueryBuilder<T>, alias: string, viewer: Viewer): SelectQueryBuilder<T> {
  return qb
    .andWhere(`${alias}.organization_id = :viewerOrganizationId`, { viewerOrganizationId: viewer.organizationId })
    .andWhere(
      new Brackets((visible) =>
        visible
          .where(`${alias}.visibility_mode = 'global'`)
          .orWhere(`${alias}.workspace_id = ANY(:viewerWorkspaceIds)`)
          .orWhere(
            `(${alias}.visibility_mode = 'shared' AND EXISTS (
               SELECT 1 FROM pipeline_deal_share share
                WHERE share.organization_id = ${alias}.organization_id
                  AND share.deal_id = ${alias}.id
                  AND share.workspace_id = ANY(:viewerWorkspaceIds)))`,
          ),
      ),
    )
    .setParameter("viewerWorkspaceIds", viewer.workspaceIds);
}
