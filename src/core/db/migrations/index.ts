import { InitialSchema1763769600000 } from "./1763769600000-initial-schema";
import { OpportunitySolutionFamiliesRequired1763856000000 } from "./1763856000000-opportunity-solution-families-required";
import { DealIdempotencyKey1763942400000 } from "./1763942400000-deal-idempotency-key";
import { DealLifecycle1764028800000 } from "./1764028800000-deal-lifecycle";
import { IdempotencyFingerprint1764115200000 } from "./1764115200000-idempotency-fingerprint";
import { DealEvents1764201600000 } from "./1764201600000-deal-events";
import { DealSearch1764288000000 } from "./1764288000000-deal-search";
import { EventRetention1764374400000 } from "./1764374400000-event-retention";
import { OrganizationAdmin1764460800000 } from "./1764460800000-organization-admin";
import { AuthChangeNotifications1764547200000 } from "./1764547200000-auth-change-notifications";
import { OrganizationStages1764633600000 } from "./1764633600000-organization-stages";
import { DealListCoveringIndex1764720000000 } from "./1764720000000-deal-list-covering-index";
import { DealCounts1764806400000 } from "./1764806400000-deal-counts";
import { PersonCounts1764892800000 } from "./1764892800000-person-counts";
import { DealSharedWith1764979200000 } from "./1764979200000-deal-shared-with";

/** In order. Listed, not globbed, so the same list works from TypeScript and from dist/. */
export const migrations = [
  InitialSchema1763769600000,
  OpportunitySolutionFamiliesRequired1763856000000,
  DealIdempotencyKey1763942400000,
  DealLifecycle1764028800000,
  IdempotencyFingerprint1764115200000,
  DealEvents1764201600000,
  DealSearch1764288000000,
  EventRetention1764374400000,
  OrganizationAdmin1764460800000,
  AuthChangeNotifications1764547200000,
  OrganizationStages1764633600000,
  DealListCoveringIndex1764720000000,
  DealCounts1764806400000,
  PersonCounts1764892800000,
  DealSharedWith1764979200000,
];
