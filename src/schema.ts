import "reflect-metadata";
import { GraphQLFieldResolver, GraphQLSchema, isObjectType, lexicographicSortSchema, printSchema } from "graphql";
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
  built ??= buildSchema({ resolvers, validateFn: validateArgs, pubSub: NO_TOPICS }).then(describeRootTypes);
  return built;
}

/**
 * The resolvers type-graphql gives fields that are plain properties: a @Field on a property (not a
 * getter or method), of the same name in the schema, with no @FieldResolver, middleware or
 * @Authorized. Such a resolver returns `source[fieldName]` and nothing else (there are no global
 * middlewares nor auth checker in `getSchema`), so the JIT executor reads the property instead of
 * calling it (see jit-executor.ts). A subclass's inherited field shares its parent's resolver.
 */
export function plainPropertyResolvers(schema: GraphQLSchema): Set<GraphQLFieldResolver<unknown, unknown>> {
  const storage = getMetadataStorage();
  type ObjectClass = (typeof storage.objectTypes)[number];
  type FieldMetadata = NonNullable<ObjectClass["fields"]>[number];
  const classes = new Map(storage.objectTypes.map((objectType) => [objectType.target, objectType]));
  // A class's fields as type-graphql lays them out: its parent class's, its interfaces', then its own; the last of a name wins.
  const fieldsOf = (objectType: ObjectClass): Map<string, FieldMetadata> => {
    const parent = classes.get(Object.getPrototypeOf(objectType.target));
    const interfaceFields = storage.interfaceTypes.filter((i) => objectType.interfaceClasses?.includes(i.target)).flatMap((i) => i.fields ?? []);
    const fields = parent ? fieldsOf(parent) : new Map<string, FieldMetadata>();
    for (const field of [...interfaceFields, ...(objectType.fields ?? [])]) fields.set(field.schemaName, field);
    return fields;
  };
  const resolvers = new Set<GraphQLFieldResolver<unknown, unknown>>();
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    for (const field of fieldsOf(objectType).values()) {
      const plain =
        field.name === field.schemaName &&
        !field.simple &&
        (field.middlewares ?? []).length === 0 &&
        field.roles === undefined &&
        !storage.fieldResolvers.some((r) => r.methodName === field.name && r.getObjectType?.() === field.target);
      const resolve = type.getFields()[field.schemaName]?.resolve;
      if (plain && resolve) resolvers.add(resolve);
    }
  }
  return resolvers;
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
