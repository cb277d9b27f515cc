import "reflect-metadata";
import { GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema, getMetadataStorage, PubSub } from "type-graphql";
import { possibleTypesOf } from "./core/graphql/possible-types";
import { validateArgs } from "./core/graphql/validate-args";
import { DealShareResolver } from "./modules/deal/deal-share.resolver";
import { DealStageChangeResolver, PipelineDealResolver } from "./modules/deal/deal.resolver";
import { FacilitatorResolver } from "./modules/deal/facilitator.resolver";
import { DealEventResolver } from "./modules/events/deal-event.resolver";
import { CompanyResolver } from "./modules/company/company.resolver";
import { OpportunityResolver } from "./modules/opportunity/opportunity.resolver";
import { PipelineResolver } from "./modules/pipeline/pipeline.resolver";
import { PersonResolver } from "./modules/person/person.resolver";
import { ProductResolver } from "./modules/product/product.resolver";
import { ReferralOpportunityResolver } from "./modules/referral/referral.resolver";
import { SiteResolver } from "./modules/site/site.resolver";
import { StageResolver } from "./modules/stage/stage.resolver";
import { ViewerResolver, WorkspaceMembershipResolver } from "./modules/viewer/viewer.resolver";
import { WebhookDeliveryResolver, WebhookEndpointResolver } from "./modules/webhook/webhook.resolver";

export const resolvers = [
  ViewerResolver,
  WorkspaceMembershipResolver,
  PersonResolver,
  CompanyResolver,
  ProductResolver,
  SiteResolver,
  StageResolver,
  PipelineDealResolver,
  DealStageChangeResolver,
  DealShareResolver,
  OpportunityResolver,
  ReferralOpportunityResolver,
  FacilitatorResolver,
  PipelineResolver,
  WebhookEndpointResolver,
  WebhookDeliveryResolver,
  DealEventResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/**
 * type-graphql insists on a PubSub as soon as there is a subscription, but dealEvents brings its
 * own `subscribe` (the hub, deal-event.hub.ts) and names no topics, so it is never asked.
 */
const NO_TOPICS: PubSub = {
  publish() {
    throw new Error("Subscriptions here are fed by the deal event hub, not by topics.");
  },
  subscribe() {
    throw new Error("Subscriptions here are fed by the deal event hub, not by topics.");
  },
};

/** The schema, built once per process. Every argument is validated before its resolver runs. */
export function getSchema(): Promise<GraphQLSchema> {
  built ??= (async () => {
    readPlainFieldsDirectly();
    return describeRootTypes(await buildSchema({ resolvers, validateFn: validateArgs, pubSub: NO_TOPICS }));
  })();
  return built;
}

/**
 * A field that is a property of the same name, with no resolver, middleware or role of its own,
 * resolves as graphql-js's default resolver reads it (`source[name]`), not through the wrapper
 * type-graphql otherwise puts around every field (an object and a middleware chain per field and
 * row: four thousand for a list of 100 deals). Renamed fields (`@Field({ name })`) keep it: it
 * reads the property, not the field's name.
 */
function readPlainFieldsDirectly(): void {
  for (const field of getMetadataStorage().fields) {
    if (field.simple === undefined && field.schemaName === field.name && !field.middlewares?.length && !field.roles?.length) field.simple = true;
  }
}

/** TypeGraphQL builds the root types itself and takes no description for them. */
function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  schema.getQueryType()!.description =
    "What you can read. Everything is confined to your organization, and deals to those you can see; " +
    "an id you may not see answers exactly as one that does not exist.";
  schema.getMutationType()!.description =
    "What you can change. Every mutation answers { success message data }; one that fails answers with an error " +
    "instead (extensions.code; BAD_USER_INPUT lists every offending field) and writes nothing.";
  const subscription = schema.getSubscriptionType();
  if (subscription) {
    subscription.description =
      "What you can follow live, over WebSocket (graphql-ws at /graphql, the API key in connectionParams): " +
      "only events of deals you can see at the moment each one happens.";
  }
  return schema;
}

/** The SDL that schema.graphql holds: sorted, so the committed file changes only when the API does. */
export async function printedSchema(): Promise<string> {
  return printSchema(lexicographicSortSchema(await getSchema())) + "\n";
}

/** possible-types.json, beside schema.graphql: interface → implementations, for Apollo Client. */
export async function printedPossibleTypes(): Promise<string> {
  return JSON.stringify(possibleTypesOf(await getSchema()), null, 2) + "\n";
}
