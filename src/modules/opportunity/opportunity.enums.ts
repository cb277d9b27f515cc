import { registerEnumType } from "type-graphql";

/** The SALES pipeline's stages, by key. */
export enum OpportunityStage {
  LEAD = "lead",
  QUALIFIED = "qualified",
  SURVEY = "survey",
  PROPOSAL = "proposal",
  NEGOTIATION = "negotiation",
  WON = "won",
  LOST = "lost",
}
registerEnumType(OpportunityStage, {
  name: "OpportunityStage",
  description: "A stage of the SALES pipeline, by its key. Each stage has a default win probability that an opportunity entering it takes.",
  valuesConfig: {
    LEAD: { description: "A possible opportunity, not yet qualified (probability 10 by default). Where a new opportunity starts unless it says otherwise." },
    QUALIFIED: { description: "Need, budget and timing are confirmed (probability 25 by default)." },
    SURVEY: { description: "The site is being surveyed (probability 40 by default)." },
    PROPOSAL: { description: "A proposal has been sent (probability 60 by default)." },
    NEGOTIATION: { description: "Terms are being negotiated (probability 80 by default)." },
    WON: { description: "The customer signed (probability 100 by default). Closes the opportunity as won." },
    LOST: { description: "The customer chose not to go ahead (probability 0 by default). Closes the opportunity as lost." },
  },
});

export enum PipelineType {
  NEW_CONSTRUCTION = "new_construction",
  RETROFIT = "retrofit",
  SERVICE_AGREEMENT = "service_agreement",
  EXPANSION = "expansion",
  OTHER = "other",
}
registerEnumType(PipelineType, {
  name: "PipelineType",
  description: "What kind of work an opportunity is (not the pipeline it is in, which is always SALES).",
  valuesConfig: {
    NEW_CONSTRUCTION: { description: "Work for a building or facility that is being built." },
    RETROFIT: { description: "Upgrading or replacing what an existing building already has." },
    SERVICE_AGREEMENT: { description: "An ongoing service or maintenance contract." },
    EXPANSION: { description: "Extending work already done for the customer." },
    OTHER: { description: "Any other kind of work." },
  },
});

export enum OpportunitySource {
  REFERRAL = "referral",
  WEBSITE = "website",
  COLD_CALL = "cold_call",
  EXISTING_CUSTOMER = "existing_customer",
  PARTNER = "partner",
  TRADE_SHOW = "trade_show",
  PORTAL_REQUEST = "portal_request",
  OTHER = "other",
}
registerEnumType(OpportunitySource, {
  name: "OpportunitySource",
  description: "Where an opportunity came from.",
  valuesConfig: {
    REFERRAL: { description: "Referred by someone." },
    WEBSITE: { description: "Came in through the website." },
    COLD_CALL: { description: "Found by calling without an introduction." },
    EXISTING_CUSTOMER: { description: "Came from an existing customer." },
    PARTNER: { description: "Brought by a partner." },
    TRADE_SHOW: { description: "Met at a trade show." },
    PORTAL_REQUEST: { description: "Requested through a portal." },
    OTHER: { description: "Any other source." },
  },
});

export enum OpportunityPriority {
  LOW = "low",
  MEDIUM = "medium",
  HIGH = "high",
  URGENT = "urgent",
}
registerEnumType(OpportunityPriority, {
  name: "OpportunityPriority",
  description: "How urgent an opportunity is, from LOW to URGENT.",
  valuesConfig: {
    LOW: { description: "Can wait." },
    MEDIUM: { description: "Normal priority." },
    HIGH: { description: "Needs attention soon." },
    URGENT: { description: "Needs attention now." },
  },
});

export enum LostReasonCategory {
  PRICE = "price",
  TIMING = "timing",
  COMPETITOR = "competitor",
  SCOPE_MISMATCH = "scope_mismatch",
  NO_DECISION = "no_decision",
  RELATIONSHIP = "relationship",
  OTHER = "other",
}
registerEnumType(LostReasonCategory, {
  name: "LostReasonCategory",
  description: "Why a LOST opportunity was lost.",
  valuesConfig: {
    PRICE: { description: "The price: too high for the customer." },
    TIMING: { description: "The timing did not suit the customer." },
    COMPETITOR: { description: "A competitor won the work." },
    SCOPE_MISMATCH: { description: "What was offered did not match the scope the customer needed." },
    NO_DECISION: { description: "The customer never decided." },
    RELATIONSHIP: { description: "The relationship with the customer." },
    OTHER: { description: "Any other reason." },
  },
});
