import { isUUID } from "class-validator";
import { Args, ArgsType, Ctx, Field, FieldResolver, ID, ObjectType, Resolver, Root, Subscription } from "type-graphql";
import { EntityManager } from "typeorm";
import type { Context } from "../../core/context/context";
import { entityFromColumns } from "../../core/db/hydrate";
import { AppError, ErrorCode, InputError, required } from "../../core/errors/errors";
import { createLoaders } from "../../core/loaders/loaders";
import { DealKind } from "../deal/deal.enums";
import { PipelineDeal } from "../deal/pipeline-deal.entity";
import { Person } from "../person/person.entity";
import { Pipeline, Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { DealEventKind } from "./deal-event";
import type { DealEventRow } from "./deal-event";
import { DealEventHub } from "./deal-event.hub";

/** The hub of this process's subscriptions, set while the WebSocket server runs (see websocket.ts). */
export const dealEventSubscriptions: { hub: DealEventHub | null } = { hub: null };

@ObjectType({ description: "Something that happened to a deal, as it committed." })
export class DealEvent {
  @Field(() => ID, { description: "The event's id: the same as the idempotency-key of its webhook deliveries." })
  id: string;

  @Field(() => DealEventKind, { description: "What happened." })
  kind: DealEventKind;

  @Field({ description: "When the write that made the event committed its statement." })
  occurredAt: Date;

  @Field(() => PipelineDeal, { description: "The deal as the write left it (not as it is now)." })
  deal: PipelineDeal;

  @Field(() => [String], { nullable: true, description: "DEAL_UPDATED: the fields that changed, by their GraphQL names." })
  changedFields: string[] | null;

  actorId: string;
  fromStageId: string | null;
  toStageId: string | null;
  workspaceId: string | null;
}

@ArgsType()
class DealEventsArgs {
  @Field(() => Pipeline, { nullable: true, description: "Only deals of this pipeline." })
  pipeline?: Pipeline | null;

  @Field(() => ID, { nullable: true, description: "Only this deal." })
  dealId?: string | null;
}

const KIND_OF_PIPELINE: Record<Pipeline, DealKind> = { [Pipeline.REFERRAL]: DealKind.REFERRAL, [Pipeline.SALES]: DealKind.OPPORTUNITY };

@Resolver(() => DealEvent)
export class DealEventResolver {
  @Subscription(() => DealEvent, {
    description:
      "Deal events as they commit, over WebSocket (graphql-ws protocol, path /graphql, the API key in connectionParams). " +
      "Only events of deals you can see at the moment of the event are sent.",
    subscribe: ({ args, context }) => {
      const { hub } = dealEventSubscriptions;
      if (!hub) throw overHttp();
      const { pipeline, dealId } = args as DealEventsArgs;
      if (dealId && !isUUID(dealId)) throw new InputError([{ path: "dealId", message: "dealId must be a UUID", constraint: "isUUID" }]);
      return hub.subscribe({
        viewer: (context as Context).viewer,
        dealKind: pipeline ? KIND_OF_PIPELINE[pipeline] : null,
        dealId: dealId?.toLowerCase() ?? null,
      });
    },
  })
  dealEvents(@Root() row: DealEventRow | undefined, @Args() _args: DealEventsArgs, @Ctx() ctx: Context): DealEvent {
    // Sent over HTTP, Apollo runs the subscription once, as a query with no event.
    if (!row) throw overHttp();
    // One subscription lives long: each event reads relations afresh, not from the last event's loaders.
    ctx.loaders = createLoaders(ctx.db, ctx.viewer);
    return dealEventOf(ctx.db, row);
  }

  @FieldResolver(() => Person, { description: "The user whose write made the event." })
  actor(@Root() event: DealEvent, @Ctx() { loaders }: Context): Person | Promise<Person> {
    return required(loaders.person.get(event.actorId), "Person", event.actorId);
  }

  @FieldResolver(() => Stage, { nullable: true, description: "DEAL_STAGE_CHANGED: the stage the deal left." })
  fromStage(@Root() event: DealEvent, @Ctx() { loaders }: Context): Stage | null | Promise<Stage | null> {
    return event.fromStageId ? loaders.stage.get(event.fromStageId) : null;
  }

  @FieldResolver(() => Stage, { nullable: true, description: "DEAL_STAGE_CHANGED: the stage the deal entered." })
  toStage(@Root() event: DealEvent, @Ctx() { loaders }: Context): Stage | null | Promise<Stage | null> {
    return event.toStageId ? loaders.stage.get(event.toStageId) : null;
  }

  @FieldResolver(() => Workspace, { nullable: true, description: "DEAL_SHARED and DEAL_UNSHARED: the workspace the share concerns." })
  workspace(@Root() event: DealEvent, @Ctx() { loaders }: Context): Workspace | null | Promise<Workspace | null> {
    return event.workspaceId ? loaders.workspace.get(event.workspaceId) : null;
  }
}

function overHttp(): AppError {
  return new AppError(
    ErrorCode.BAD_USER_INPUT,
    "dealEvents is a subscription: send it over WebSocket (the graphql-ws protocol) to /graphql, with the API key in connectionParams.",
  );
}

/** The GraphQL event of an outbox row; its deal is the row the write left, as an entity. */
function dealEventOf(db: EntityManager, row: DealEventRow): DealEvent {
  const details = row.details as { changedFields?: string[]; fromStage?: { id: string } | null; toStage?: { id: string }; workspaceId?: string };
  return Object.assign(new DealEvent(), {
    id: row.id,
    kind: row.kind,
    occurredAt: new Date(row.occurred_at),
    deal: dealFromSnapshot(db, row.deal),
    changedFields: details.changedFields ?? null,
    actorId: row.actor_id,
    fromStageId: details.fromStage?.id ?? null,
    toStageId: details.toStage?.id ?? null,
    workspaceId: details.workspaceId ?? null,
  });
}

/**
 * A deal entity from the `to_jsonb` of its row: JSON has no timestamps and reads numerics as
 * numbers, so those columns get back the values the driver gives (Date, decimal string).
 */
function dealFromSnapshot(db: EntityManager, snapshot: Record<string, unknown>): PipelineDeal {
  const metadata = db.connection.getMetadata(PipelineDeal);
  const values: Record<string, unknown> = { ...snapshot };
  for (const column of [metadata, ...metadata.childEntityMetadatas].flatMap((m) => m.columns)) {
    const value = values[column.databaseName];
    if (value === null || value === undefined) continue;
    if (column.type === "timestamptz" || column.type === "date") values[column.databaseName] = new Date(value as string);
    else if (column.type === "numeric") values[column.databaseName] = String(value);
  }
  return entityFromColumns<PipelineDeal>(metadata, values);
}
