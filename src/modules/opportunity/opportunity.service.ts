import { isUUID } from "class-validator";
import { Context } from "../../core/context/context";
import { ForbiddenError } from "../../core/errors/errors";
import { InputProblems } from "../../core/errors/field-errors";
import { OrderDirection, PageArgs, paginate, SortKey } from "../../core/pagination/connection";
import { dealCreatedEarlier, insertDeal } from "../deal/deal-creation";
import { whereVisibleTo } from "../deal/visibility";
import { PersonType } from "../person/person.entity";
import { Pipeline, Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { Opportunity } from "./opportunity.entity";
import { OpportunityStage } from "./opportunity.enums";
import {
  CreateOpportunityInput,
  MAX_SOLUTION_FAMILIES,
  OpportunityFilter,
  OpportunityOrder,
  OpportunityOrderField,
} from "./opportunity.inputs";

/**
 * Each ordering as a never-NULL expression (keyset pagination compares row values): missing
 * close dates sort as the far future, missing values below zero.
 */
const SORT_KEYS: Record<OpportunityOrderField, SortKey> = {
  [OpportunityOrderField.CREATED_AT]: { name: "createdAt", expression: "deal.created_at", type: "timestamptz" },
  [OpportunityOrderField.EXPECTED_CLOSE_DATE]: {
    name: "expectedCloseDate",
    expression: "coalesce(deal.expected_close_date, '9999-12-31T00:00:00Z'::timestamptz)",
    type: "timestamptz",
  },
  [OpportunityOrderField.ESTIMATED_VALUE]: { name: "estimatedValue", expression: "coalesce(deal.value, -1)", type: "numeric" },
  [OpportunityOrderField.TITLE]: { name: "title", expression: "lower(deal.name)", type: "text" },
};

const blankToNull = (value: string | null | undefined) => (value?.trim() ? value : null);

export const opportunityService = {
  /**
   * Checks the whole input (shape, references, cross-field rules), reporting every problem at
   * once, then writes the one row. Each reference is read through a loader, so the response's
   * customer, contact, site, owner, workspace and stage come from the cache.
   */
  async create(ctx: Context, input: CreateOpportunityInput): Promise<Opportunity> {
    const { db, viewer, loaders } = ctx;
    const problems = await InputProblems.of(input);
    const ownerId = input.ownerUserId ?? viewer.userId;
    const workspaceId = input.workspaceId ?? viewer.workspaceId;

    const [customer, contact, site, owner, target, stage] = await Promise.all([
      problems.has("customerId") ? undefined : loaders.company.load(input.customerId),
      input.primaryContactId && !problems.has("primaryContactId") ? loaders.person.load(input.primaryContactId) : undefined,
      input.siteId && !problems.has("siteId") ? loaders.site.load(input.siteId) : undefined,
      problems.has("ownerUserId") ? undefined : loaders.person.load(ownerId),
      problems.has("workspaceId") ? undefined : loadWorkspaceWithOwner(ctx, workspaceId, problems.has("ownerUserId") ? null : ownerId),
      problems.has("stage") ? undefined : salesStage(ctx, input.stage),
    ]);

    // Authorization, not input: a workspace of the organization you are not a member of.
    if (target?.workspace && !viewer.workspaceIds.includes(target.workspace.id)) {
      throw new ForbiddenError(`You are not a member of workspace ${target.workspace.id}.`);
    }

    if (customer === null) problems.add("customerId", "no company with this id exists", "exists");
    if (contact === null) problems.add("primaryContactId", "no person with this id exists", "exists");
    if (site === null) problems.add("siteId", "no site with this id exists", "exists");
    if (site && customer && site.companyId !== customer.id) {
      problems.add("siteId", "the site does not belong to the customer", "belongsToCustomer");
    }
    if (target?.workspace === null) problems.add("workspaceId", "no workspace with this id exists", "exists");
    if (owner === null) {
      problems.add("ownerUserId", "no user with this id exists", "exists");
    } else if (owner && owner.type !== PersonType.USER) {
      problems.add("ownerUserId", "the owner must be a USER, not a CONTACT", "isUser");
    } else if (owner && target?.workspace && !target.ownerIsMember) {
      problems.add("ownerUserId", "the owner must be a member of the opportunity's workspace", "isWorkspaceMember");
    }

    if (input.lostReasonCategory && input.stage !== OpportunityStage.LOST) {
      problems.add("lostReasonCategory", "lostReasonCategory is only allowed with stage LOST", "onlyWhenLost");
    }
    if (input.winLossReason && input.stage !== OpportunityStage.WON && input.stage !== OpportunityStage.LOST) {
      problems.add("winLossReason", "winLossReason is only allowed with stage WON or LOST", "onlyWhenWonOrLost");
    }
    const solutionFamilies = distinctNames(input.solutionFamilies ?? []);
    if (!problems.has("solutionFamilies") && solutionFamilies.length > MAX_SOLUTION_FAMILIES) {
      problems.add(
        "solutionFamilies",
        `solutionFamilies must name at most ${MAX_SOLUTION_FAMILIES} different families`,
        "arrayMaxSize",
      );
    }
    problems.throwIfAny();

    const key = input.idempotencyKey ?? null;
    const values = {
      organizationId: viewer.organizationId,
      name: input.title.trim(),
      value: input.estimatedValue === null || input.estimatedValue === undefined ? null : String(input.estimatedValue),
      currency: (input.currency ?? "USD").toUpperCase(),
      // The ids as the database spells them (a caller may send upper-case UUIDs).
      stageId: stage!.id,
      ownerId: owner!.id,
      workspaceId: target!.workspace!.id,
      visibilityMode: input.visibilityMode,
      customerId: customer!.id,
      primaryContactId: contact?.id ?? null,
      siteId: site?.id ?? null,
      pipelineType: input.pipelineType,
      source: input.source ?? null,
      expectedCloseDate: input.expectedCloseDate ?? null,
      probability: input.probability ?? stage!.probability,
      solutionFamilies,
      scopeSummary: blankToNull(input.scopeSummary),
      competitorNotes: blankToNull(input.competitorNotes),
      winLossReason: blankToNull(input.winLossReason),
      nextStepDescription: blankToNull(input.nextStepDescription),
      nextStepDate: input.nextStepDate ?? null,
      bidDueDate: input.bidDueDate ?? null,
      budgetConfirmed: input.budgetConfirmed,
      priority: input.priority ?? null,
      lostReasonCategory: input.lostReasonCategory ?? null,
      technicalRequirements: blankToNull(input.technicalRequirements),
      idempotencyKey: key,
    };
    const opportunity = await insertDeal(db.manager, Opportunity, values);
    if (!opportunity) return dealCreatedEarlier(ctx, Opportunity, key!);
    loaders.deal.prime(opportunity.id, opportunity);
    loaders.sharedWorkspacesByDeal.prime(opportunity.id, []);
    return opportunity;
  },

  /** The opportunities the viewer may see, filtered and ordered; the visibility rule is part of the SQL. */
  list({ db, viewer }: Context, page: PageArgs, filter: OpportunityFilter = {}, order?: OpportunityOrder) {
    const qb = whereVisibleTo(db.getRepository(Opportunity).createQueryBuilder("deal"), "deal", viewer);
    if (filter.stage) {
      qb.andWhere("deal.stage_id = (SELECT stage.id FROM stage WHERE stage.pipeline = 'sales' AND stage.key = :stageKey)", {
        stageKey: filter.stage,
      });
    }
    if (filter.pipelineType) qb.andWhere("deal.pipeline_type = :pipelineType", { pipelineType: filter.pipelineType });
    if (filter.priority) qb.andWhere("deal.priority = :priority", { priority: filter.priority });
    if (filter.customerId) qb.andWhere("deal.customer_id = :customerId", { customerId: filter.customerId });
    if (filter.ownerId) qb.andWhere("deal.owner_id = :ownerId", { ownerId: filter.ownerId });
    if (filter.workspaceId) qb.andWhere("deal.workspace_id = :workspaceId", { workspaceId: filter.workspaceId });
    if (filter.expectedCloseAfter) {
      qb.andWhere("deal.expected_close_date >= :expectedCloseAfter", { expectedCloseAfter: filter.expectedCloseAfter });
    }
    if (filter.expectedCloseBefore) {
      qb.andWhere("deal.expected_close_date < :expectedCloseBefore", { expectedCloseBefore: filter.expectedCloseBefore });
    }
    const field = order?.field ?? OpportunityOrderField.CREATED_AT;
    const direction = order?.direction ?? OrderDirection.DESC;
    return paginate(qb, page, SORT_KEYS[field], direction);
  },
};

/**
 * The target workspace and, in the same statement, whether the owner is one of its members.
 * `workspace` is null when no such workspace exists in the organization.
 */
async function loadWorkspaceWithOwner(
  { db, viewer, loaders }: Context,
  workspaceId: string,
  ownerId: string | null,
): Promise<{ workspace: Workspace | null; ownerIsMember: boolean }> {
  if (!isUUID(workspaceId)) return { workspace: null, ownerIsMember: false };
  const qb = db
    .getRepository(Workspace)
    .createQueryBuilder("workspace")
    .where("workspace.organization_id = :organizationId AND workspace.id = :workspaceId", {
      organizationId: viewer.organizationId,
      workspaceId,
    });
  if (ownerId && isUUID(ownerId)) {
    qb.addSelect(
      `EXISTS (SELECT 1 FROM workspace_membership membership
                WHERE membership.organization_id = workspace.organization_id
                  AND membership.workspace_id = workspace.id
                  AND membership.user_id = :ownerId)`,
      "owner_is_member",
    ).setParameter("ownerId", ownerId);
  }
  const { entities, raw } = await qb.getRawAndEntities();
  const workspace = entities[0] ?? null;
  if (workspace) loaders.workspace.prime(workspace.id, workspace);
  return { workspace, ownerIsMember: raw[0]?.owner_is_member === true };
}

/** A SALES stage by key; primes the stage loader for the response. */
async function salesStage({ db, loaders }: Context, key: OpportunityStage): Promise<Stage | null> {
  const stage = await db.getRepository(Stage).findOneBy({ pipeline: Pipeline.SALES, key });
  if (stage) loaders.stage.prime(stage.id, stage);
  return stage;
}

/** Trimmed, in first-seen order, without repeats that differ only in case. */
function distinctNames(names: string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const name of names) {
    const trimmed = name.trim();
    const key = trimmed.toLowerCase();
    if (trimmed && !seen.has(key)) {
      seen.add(key);
      result.push(trimmed);
    }
  }
  return result;
}
