import { Context } from "../../core/context/context";
import { ForbiddenError, InputError, NotFoundError } from "../../core/errors/errors";
import { Workspace } from "../workspace/workspace.entity";
import { PipelineDeal } from "./pipeline-deal.entity";
import { VisibilityMode } from "./deal.enums";

/**
 * Sharing a deal with another workspace of the organization. Both operations are idempotent,
 * so a client may retry them safely. Sharing a WORKSPACE_LOCAL deal makes it SHARED (otherwise
 * the share would have no effect); a GLOBAL deal stays GLOBAL. Unsharing never changes the mode.
 */
export const dealShareService = {
  async share(ctx: Context, dealId: string, workspaceId: string): Promise<PipelineDeal> {
    const { deal, workspace } = await dealYouMayShare(ctx, dealId, workspaceId);
    // One statement, so the share and the mode change cannot part ways.
    const rows: Array<{ updated_at: Date }> = await ctx.db.query(
      `WITH share AS (
         INSERT INTO pipeline_deal_share (organization_id, deal_id, workspace_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING
       ), widened AS (
         UPDATE pipeline_deal SET visibility_mode = $4, updated_at = now()
          WHERE organization_id = $1 AND id = $2 AND visibility_mode = $5
         RETURNING updated_at
       )
       SELECT updated_at FROM widened`,
      [ctx.viewer.organizationId, deal.id, workspace.id, VisibilityMode.SHARED, VisibilityMode.WORKSPACE_LOCAL],
    );
    if (rows.length > 0) {
      deal.visibilityMode = VisibilityMode.SHARED;
      deal.updatedAt = rows[0].updated_at;
    }
    return deal;
  },

  async unshare(ctx: Context, dealId: string, workspaceId: string): Promise<PipelineDeal> {
    const { deal, workspace } = await dealYouMayShare(ctx, dealId, workspaceId);
    await ctx.db.query(`DELETE FROM pipeline_deal_share WHERE organization_id = $1 AND deal_id = $2 AND workspace_id = $3`, [
      ctx.viewer.organizationId,
      deal.id,
      workspace.id,
    ]);
    return deal;
  },
};

/**
 * The deal, when the viewer may change whom it is shared with: its owner or a member of its
 * workspace. A deal the viewer cannot see is NOT_FOUND; one they see but do not hold, FORBIDDEN.
 */
async function dealYouMayShare(
  { viewer, loaders }: Context,
  dealId: string,
  workspaceId: string,
): Promise<{ deal: PipelineDeal; workspace: Workspace }> {
  const [deal, workspace] = await Promise.all([loaders.deal.load(dealId), loaders.workspace.load(workspaceId)]);
  if (!deal) throw new NotFoundError("Deal", dealId);
  if (deal.ownerId !== viewer.userId && !viewer.workspaceIds.includes(deal.workspaceId)) {
    throw new ForbiddenError("Only the deal's owner and members of its workspace can change whom it is shared with.");
  }
  if (!workspace) {
    throw new InputError([{ path: "workspaceId", message: "no workspace with this id exists", constraint: "exists" }]);
  }
  if (workspace.id === deal.workspaceId) {
    throw new InputError([
      { path: "workspaceId", message: "a deal is always visible to its own workspace", constraint: "notOwnWorkspace" },
    ]);
  }
  // The response lists the shares as they are after the write.
  loaders.sharedWorkspacesByDeal.clear(deal.id);
  return { deal, workspace };
}
