import { Args, Ctx, Field, FieldResolver, MiddlewareFn, Mutation, ObjectType, Query, Resolver, Root, UseMiddleware } from "type-graphql";
import { ForbiddenError } from "../../core/errors/errors";
import type { Context } from "../../core/context/context";
import { payload, PayloadType } from "../../core/graphql/payload";
import { webhookCommands } from "./webhook.commands";
import { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from "./webhook.entities";
import { CreateWebhookEndpointArgs, UpdateWebhookEndpointArgs, WebhookDeliveriesArgs, WebhookEndpointIdArgs } from "./webhook.inputs";

@ObjectType({ description: "The webhook endpoint after the change." })
class WebhookEndpointPayload extends PayloadType(WebhookEndpoint) {}

@ObjectType({ description: "The webhook endpoint with its signing secret, which is shown this once only." })
class WebhookEndpointWithSecretPayload extends PayloadType(WebhookEndpoint) {
  @Field({
    description:
      "The secret the deliveries are signed with (HMAC-SHA256, see the dealgraph-signature header). Store it now: it is never shown again.",
  })
  secret: string;
}

/** Refuses a caller who is not an organization admin (see OrganizationRole). */
const AdminsOnly: MiddlewareFn<Context> = ({ context, info }, next) => {
  // Root fields only: an endpoint's own fields need no second check.
  if (info.parentType.name !== "Query" && info.parentType.name !== "Mutation") return next();
  if (!context.viewer.isAdmin) throw new ForbiddenError("Only an organization admin can see or manage webhook endpoints.");
  return next();
};

/**
 * Webhook endpoints of the caller's organization. Only an organization admin may see or manage
 * them: an endpoint receives every deal of the organization, visible to its maker or not.
 */
@Resolver(() => WebhookEndpoint)
@UseMiddleware(AdminsOnly)
export class WebhookEndpointResolver {
  @Query(() => [WebhookEndpoint], { description: "Your organization's webhook endpoints, oldest first." })
  webhookEndpoints(@Ctx() { db, viewer }: Context): Promise<WebhookEndpoint[]> {
    return webhookCommands.list(db, viewer.organizationId);
  }

  @Query(() => [WebhookDelivery], { description: "The newest deliveries of one of your webhook endpoints, newest first, with their attempts." })
  webhookDeliveries(@Args() args: WebhookDeliveriesArgs, @Ctx() { db, viewer }: Context): Promise<WebhookDelivery[]> {
    return webhookCommands.deliveries(db, viewer.organizationId, { ...args });
  }

  @Mutation(() => WebhookEndpointWithSecretPayload, {
    description:
      "Registers a URL that every event of the kinds named, of any deal of your organization, is POSTed to from now on, " +
      "signed with a new secret answered here once.",
  })
  async createWebhookEndpoint(@Args() args: CreateWebhookEndpointArgs, @Ctx() { db, viewer }: Context) {
    const { endpoint, secret } = await webhookCommands.create(db, viewer.organizationId, { ...args });
    return { ...payload("Webhook endpoint created successfully", endpoint), secret };
  }

  @Mutation(() => WebhookEndpointPayload, { description: "Changes a webhook endpoint: what the arguments leave out stays." })
  async updateWebhookEndpoint(@Args() args: UpdateWebhookEndpointArgs, @Ctx() { db, viewer }: Context) {
    return payload("Webhook endpoint updated successfully", await webhookCommands.update(db, viewer.organizationId, { ...args }));
  }

  @Mutation(() => WebhookEndpointPayload, { description: "Deletes a webhook endpoint with its deliveries; nothing more is sent to it." })
  async deleteWebhookEndpoint(@Args() args: WebhookEndpointIdArgs, @Ctx() { db, viewer }: Context) {
    return payload("Webhook endpoint deleted successfully", await webhookCommands.delete(db, viewer.organizationId, { ...args }));
  }

  @Mutation(() => WebhookEndpointWithSecretPayload, {
    description: "Replaces the endpoint's signing secret with a new one, answered here once; the old one stops signing at once.",
  })
  async rollWebhookSecret(@Args() args: WebhookEndpointIdArgs, @Ctx() { db, viewer }: Context) {
    const { endpoint, secret } = await webhookCommands.rollSecret(db, viewer.organizationId, { ...args });
    return { ...payload("Webhook secret rolled successfully", endpoint), secret };
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => [WebhookAttempt], { description: "Every attempt made, oldest first." })
  attempts(@Root() delivery: WebhookDelivery, @Ctx() { loaders }: Context): WebhookAttempt[] | Promise<WebhookAttempt[]> {
    return loaders.webhookAttemptsByDelivery.get(delivery.id);
  }
}
