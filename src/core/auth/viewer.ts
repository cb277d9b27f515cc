/** Who is calling: the owner of the API key, in their organization and current workspace. */
export interface Viewer {
  organizationId: string;
  userId: string;
  /** The workspace this request works in: X-Workspace-Id, else the user's default. */
  workspaceId: string;
  /** Every workspace the user is a member of; deal visibility is decided by these. */
  workspaceIds: string[];
  /** An organization admin (OrganizationRole.ADMIN); absent or false: a member. */
  isAdmin?: boolean;
  /** The API key the request came with, for what outlives the request (a subscription checks it is still valid). */
  apiKeyId?: string;
}
