import "reflect-metadata";
import { GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema, PubSub } from "type-graphql";
import { validateArgs } from "./core/graphql/validate-args";
import { DealShareResolver } from "./modules/deal/deal-share.resolver";
import { DealStageChangeResolver, PipelineDealResolver } from "./modules/deal/deal.resolver";
import { FacilitatorResolver } from "./modules/deal/facilitator.resolver";
import { DealEventResolver } from "./modules/events/deal-event.resolver";
import { CompanyResolver } from "./modules/company/company.resolver";
import { OpportunityResolver } from "./modules/opportunity/opportunity.resolver";
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
  built ??= buildSchema({ resolvers, validateFn: validateArgs, pubSub: NO_TOPICS });
  return built;
}

/** The SDL that schema.graphql holds: sorted, so the committed file changes only when the API does. */
export async function printedSchema(): Promise<string> {
  return printSchema(lexicographicSortSchema(await getSchema())) + "\n";
}
