import { Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../core/context/context";
import { required } from "../../core/errors/errors";
import { Organization } from "../organization/organization.entity";
import { Person } from "../person/person.entity";
import { WorkspaceMembership } from "../workspace/workspace-membership.entity";
import { Workspace } from "../workspace/workspace.entity";

@ObjectType({ description: "The caller: the API key's user, in their organization and current workspace." })
class Me {
  @Field(() => ID, { description: "The user's id." })
  id: string;
}

@Resolver(() => Me)
export class ViewerResolver {
  @Query(() => Me, { description: "Who you are, where you work, and the workspaces you can switch to with X-Workspace-Id." })
  me(@Ctx() { viewer }: Context): Me {
    return { id: viewer.userId };
  }

  @FieldResolver(() => Person, { description: "You: the USER who owns the API key." })
  user(@Ctx() { viewer, loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(viewer.userId), "Person", viewer.userId);
  }

  @FieldResolver(() => Workspace, { description: "The workspace this request works in." })
  workspace(@Ctx() { viewer, loaders }: Context): Workspace | Promise<Workspace> {
    return required(loaders.workspace.get(viewer.workspaceId), "Workspace", viewer.workspaceId);
  }

  @FieldResolver(() => Organization, { description: "Your organization: every read and write is confined to it." })
  organization(@Ctx() { viewer, loaders }: Context): Organization | Promise<Organization> {
    return required(loaders.organization.get(viewer.organizationId), "Organization", viewer.organizationId);
  }

  @FieldResolver(() => [WorkspaceMembership], { description: "Every workspace you are a member of." })
  memberships(@Root() _me: Me, @Ctx() { db, viewer }: Context): Promise<WorkspaceMembership[]> {
    return db
      .getRepository(WorkspaceMembership)
      .createQueryBuilder("membership")
      .where("membership.organization_id = :organizationId AND membership.user_id = :userId", viewer)
      .orderBy("membership.created_at")
      .addOrderBy("membership.id")
      .getMany();
  }
}

@Resolver(() => WorkspaceMembership)
export class WorkspaceMembershipResolver {
  @FieldResolver(() => Workspace, { description: "The workspace you are a member of." })
  workspace(@Root() membership: WorkspaceMembership, @Ctx() { loaders }: Context): Workspace | Promise<Workspace> {
    return required(loaders.workspace.get(membership.workspaceId), "Workspace", membership.workspaceId);
  }
}
