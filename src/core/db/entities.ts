import { ApiKey } from "../../modules/api-key/api-key.entity";
import { Company } from "../../modules/company/company.entity";
import { DealShare } from "../../modules/deal/deal-share.entity";
import { DealStageChange } from "../../modules/deal/deal-stage-change.entity";
import { Facilitator } from "../../modules/deal/facilitator.entity";
import { PipelineDeal } from "../../modules/deal/pipeline-deal.entity";
import { Opportunity } from "../../modules/opportunity/opportunity.entity";
import { Organization } from "../../modules/organization/organization.entity";
import { Person } from "../../modules/person/person.entity";
import { Product } from "../../modules/product/product.entity";
import { ReferralOpportunity } from "../../modules/referral/referral-opportunity.entity";
import { Site } from "../../modules/site/site.entity";
import { Stage } from "../../modules/stage/stage.entity";
import { WorkspaceMembership } from "../../modules/workspace/workspace-membership.entity";
import { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from "../../modules/webhook/webhook.entities";
import { Workspace } from "../../modules/workspace/workspace.entity";

export const entities = [
  Organization,
  Workspace,
  WorkspaceMembership,
  Person,
  Company,
  Product,
  Site,
  Stage,
  PipelineDeal,
  ReferralOpportunity,
  Opportunity,
  Facilitator,
  DealShare,
  DealStageChange,
  ApiKey,
  WebhookEndpoint,
  WebhookDelivery,
  WebhookAttempt,
];
