import { InitialSchema1763769600000 } from "./1763769600000-initial-schema";
import { OpportunitySolutionFamiliesRequired1763856000000 } from "./1763856000000-opportunity-solution-families-required";

/** In order. Listed, not globbed, so the same list works from TypeScript and from dist/. */
export const migrations = [InitialSchema1763769600000, OpportunitySolutionFamiliesRequired1763856000000];
