import "reflect-metadata";
import { GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { validateArgs } from "./core/graphql/validate-args";
import { DealShareResolver } from "./modules/deal/deal-share.resolver";
import { DealStageChangeResolver, PipelineDealResolver } from "./modules/deal/deal.resolver";
import { FacilitatorResolver } from "./modules/deal/facilitator.resolver";
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
] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The schema, built once per process. Every argument is validated before its resolver runs. */
export function getSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers, validateFn: validateArgs });
  return built;
}

/** The SDL that schema.graphql holds: sorted, so the committed file changes only when the API does. */
export async function printedSchema(): Promise<string> {
  return printSchema(lexicographicSortSchema(await getSchema())) + "\n";
}
