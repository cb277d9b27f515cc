import { InitialSchema1763769600000 } from "./1763769600000-initial-schema";

/** In order. Listed, not globbed, so the same list works from TypeScript and from dist/. */
export const migrations = [InitialSchema1763769600000];
