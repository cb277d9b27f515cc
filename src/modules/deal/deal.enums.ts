import { registerEnumType } from "type-graphql";

/** GraphQL names are UPPER_CASE; the values stored (and used by the REST contract) are the seeds' lower case. */
export enum VisibilityMode {
  GLOBAL = "global",
  WORKSPACE_LOCAL = "workspace_local",
  SHARED = "shared",
}
registerEnumType(VisibilityMode, {
  name: "VisibilityMode",
  description: "Who can see a deal.",
  valuesConfig: {
    GLOBAL: { description: "Every workspace of the organization." },
    WORKSPACE_LOCAL: { description: "Members of the deal's workspace." },
    SHARED: { description: "Members of the deal's workspace and of the workspaces it is shared with." },
  },
});

export enum DealKind {
  REFERRAL = "referral",
  OPPORTUNITY = "opportunity",
}

export enum FacilitatorRole {
  CONNECTOR = "connector",
  REFERRAL_SOURCE = "referral_source",
}
registerEnumType(FacilitatorRole, {
  name: "FacilitatorRole",
  description: "How a facilitator helped a deal happen.",
  valuesConfig: {
    CONNECTOR: { description: "Made the introduction." },
    REFERRAL_SOURCE: { description: "Referred one of the parties." },
  },
});

export enum FacilitatorSide {
  SEEKER = "seeker",
  PROVIDER = "provider",
}
registerEnumType(FacilitatorSide, {
  name: "FacilitatorSide",
  description: "Which party a facilitator helped.",
  valuesConfig: {
    SEEKER: { description: "The seeker's side: the person looking for a solution." },
    PROVIDER: { description: "The provider's side: the person providing the solution." },
  },
});
