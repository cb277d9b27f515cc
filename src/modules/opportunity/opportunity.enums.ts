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
registerEnumType(OpportunityStage, { name: "OpportunityStage", description: "A stage of the SALES pipeline." });

export enum PipelineType {
  NEW_CONSTRUCTION = "new_construction",
  RETROFIT = "retrofit",
  SERVICE_AGREEMENT = "service_agreement",
  EXPANSION = "expansion",
  OTHER = "other",
}
registerEnumType(PipelineType, { name: "PipelineType", description: "What kind of work an opportunity is." });

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
registerEnumType(OpportunitySource, { name: "OpportunitySource", description: "Where an opportunity came from." });

export enum OpportunityPriority {
  LOW = "low",
  MEDIUM = "medium",
  HIGH = "high",
  URGENT = "urgent",
}
registerEnumType(OpportunityPriority, { name: "OpportunityPriority" });

export enum LostReasonCategory {
  PRICE = "price",
  TIMING = "timing",
  COMPETITOR = "competitor",
  SCOPE_MISMATCH = "scope_mismatch",
  NO_DECISION = "no_decision",
  RELATIONSHIP = "relationship",
  OTHER = "other",
}
registerEnumType(LostReasonCategory, { name: "LostReasonCategory", description: "Why a LOST opportunity was lost." });
