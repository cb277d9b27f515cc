import { isUUID } from "class-validator";
import { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { parseInput } from "../../core/commands/parse-input";
import { moneyText } from "../../core/validation/rules";
import type { Context } from "../../core/context/context";
import { entityFromRaw } from "../../core/db/hydrate";
import { ForbiddenError, NotFoundError } from "../../core/errors/errors";
import { InputProblems } from "../../core/errors/field-errors";
import { Company } from "../company/company.entity";
import { createDeal } from "../deal/deal-creation";
import { runDealCommand } from "../deal/deal-command";
import { DealChanges, readVisibleDeal, updateDeal } from "../deal/deal.repository";
import { closeChanges } from "../deal/deal.commands";
import { assertMayChange, assertWritable, dealChanges } from "../deal/deal.rules";
import { Organization } from "../organization/organization.entity";
import { Person, PersonType } from "../person/person.entity";
import { Site } from "../site/site.entity";
import { Pipeline, Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { Opportunity } from "./opportunity.entity";
import { CreateOpportunityInput, MAX_SOLUTION_FAMILIES, UpdateOpportunityInput } from "./opportunity.inputs";
import { distinctNames, outcomeAfterMove, outcomeProblems } from "./opportunity.rules";
import { getRawPrepared } from "../../core/db/prepared";

const blankToNull = (value: string | null | undefined) => (value?.trim() ? value : null);
/** The amount as the exact decimal text the column stores (validated by IsMoneyAmount already). */
const money = (value: string | number | null | undefined) => (value === null || value === undefined ? null : moneyText(value));

/** createOpportunity and updateOpportunity: plain input in, the stored opportunity out. */
export const opportunityCommands = {
  /**
   * Checks the whole input (shape, references, cross-field rules), reporting every problem at
   * once, then writes the opportunity and its first history entry. One statement reads every
   * reference, and the response's customer, contact, site, owner, workspace and stage come
   * from what it read.
   */
  async create(ctx: Context, plain: unknown): Promise<Opportunity> {
    const { input, problems } = await parseInput(CreateOpportunityInput, plain);
    return runDealCommand(ctx, async (tx) => {
      const ownerId = input.ownerUserId ?? tx.viewer.userId;
      const workspaceId = input.workspaceId ?? tx.viewer.workspaceId;
      const usable = (field: string, id: string | null | undefined) => (id && !problems.has(field) ? id : null);
      const refs = await loadReferences(tx, {
        customerId: usable("customerId", input.customerId),
        contactId: usable("primaryContactId", input.primaryContactId),
        siteId: usable("siteId", input.siteId),
        ownerId: usable("ownerUserId", ownerId),
        workspaceId: usable("workspaceId", workspaceId),
        stageKey: problems.has("stage") ? null : input.stage,
      });
      checkReferences(tx, problems, refs, { siteBlame: "siteId", ownerBlame: "ownerUserId" });
      if (refs.stage) {
        for (const [field, message, constraint] of outcomeProblems(refs.stage, {
          winLossReason: blankToNull(input.winLossReason),
          lostReasonCategory: input.lostReasonCategory ?? null,
        })) problems.add(field, message, constraint);
      }
      const solutionFamilies = checkedFamilies(problems, input.solutionFamilies ?? []);
      problems.throwIfAny();

      const stage = refs.stage!;
      const { deal } = await createDeal(tx, Opportunity, {
        organizationId: tx.viewer.organizationId,
        name: input.title.trim(),
        value: money(input.estimatedValue),
        currency: (input.currency ?? "USD").toUpperCase(),
        // The ids as the database spells them (a caller may send upper-case UUIDs).
        stageId: stage.id,
        closedAt: stage.isWon || stage.isLost ? () => "now()" : null,
        ownerId: refs.owner!.id,
        workspaceId: refs.workspace!.id,
        visibilityMode: input.visibilityMode,
        customerId: refs.customer!.id,
        primaryContactId: refs.contact?.id ?? null,
        siteId: refs.site?.id ?? null,
        pipelineType: input.pipelineType,
        source: input.source ?? null,
        expectedCloseDate: input.expectedCloseDate ?? null,
        probability: input.probability ?? stage.probability,
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
      }, input);
      return deal;
    });
  },

  /**
   * Patch semantics: what the input leaves out stays, null clears. Every rule of the create is
   * checked on the result; a new stage is a move (history, close, probability). A patch that
   * changes nothing writes nothing and keeps the version.
   */
  async update(ctx: Context, id: string, plain: unknown): Promise<Opportunity> {
    const { input, problems } = await parseInput(UpdateOpportunityInput, plain);
    return runDealCommand(ctx, async (tx) => {
      const given = (field: keyof UpdateOpportunityInput) => input[field] !== undefined && !problems.has(field);
      // Only what the patch touches is read again, with the deal: a site is checked against a
      // changed customer and a changed customer against the site; the owner's membership when
      // either changes. What the patch leaves out is the deal's own (a column of the deal row).
      const customerOrSite = given("customerId") || given("siteId");
      const ownerOrWorkspace = given("ownerUserId") || given("workspaceId");
      const needed: ReferenceIds = {
        customerId: customerOrSite ? (given("customerId") ? input.customerId! : { column: "deal.customer_id" }) : null,
        contactId: given("primaryContactId") ? (input.primaryContactId ?? null) : null,
        siteId: customerOrSite ? (given("siteId") ? (input.siteId ?? null) : { column: "deal.site_id" }) : null,
        ownerId: ownerOrWorkspace ? (given("ownerUserId") ? input.ownerUserId! : { column: "deal.owner_id" }) : null,
        workspaceId: ownerOrWorkspace ? (given("workspaceId") ? input.workspaceId! : { column: "deal.workspace_id" }) : null,
        stageKey: given("stage") ? input.stage! : null,
      };
      let references: (row: Record<string, unknown>) => References = () => EMPTY_REFERENCES;
      const read = await readVisibleDeal(tx, id, {
        also: (qb) => {
          if (Object.values(needed).some((v) => v !== null)) references = joinReferences(tx, qb, "deal.organization_id", needed);
        },
      });
      if (!read || !(read.deal instanceof Opportunity)) throw new NotFoundError("Opportunity", id);
      const { deal, stage: currentStage } = read;
      assertMayChange(tx.viewer, deal);
      assertWritable(deal, input.expectedVersion);
      const refs = references(read.rows[0]);
      checkReferences(tx, problems, refs, {
        siteBlame: given("siteId") ? "siteId" : "customerId",
        ownerBlame: given("ownerUserId") ? "ownerUserId" : "workspaceId",
        workspaceChanged: given("workspaceId"),
      });

      const stage = refs.stage ?? currentStage;
      const moved = stage.id !== deal.stageId;
      const givenOutcome = {
        winLossReason: input.winLossReason === undefined ? undefined : blankToNull(input.winLossReason),
        lostReasonCategory: input.lostReasonCategory,
      };
      // Unmoved, the current stage allows the current outcome, so this keeps what is not given.
      const outcome = outcomeAfterMove(stage, deal, givenOutcome);
      for (const [field, message, constraint] of outcomeProblems(stage, outcome)) problems.add(field, message, constraint);
      const solutionFamilies = given("solutionFamilies") ? checkedFamilies(problems, input.solutionFamilies!) : deal.solutionFamilies;
      problems.throwIfAny();

      const text = (field: keyof UpdateOpportunityInput & keyof Opportunity) =>
        input[field] === undefined ? deal[field] : blankToNull(input[field] as string | null);
      const next: DealChanges = {
        name: input.title === undefined ? deal.name : input.title.trim(),
        value: input.estimatedValue === undefined ? deal.value : money(input.estimatedValue),
        currency: input.currency == null ? deal.currency : input.currency.toUpperCase(),
        stageId: stage.id,
        ownerId: refs.owner?.id ?? deal.ownerId,
        workspaceId: refs.workspace?.id ?? deal.workspaceId,
        visibilityMode: input.visibilityMode ?? deal.visibilityMode,
        customerId: refs.customer?.id ?? deal.customerId,
        primaryContactId: input.primaryContactId === undefined ? deal.primaryContactId : (refs.contact?.id ?? null),
        siteId: customerOrSite ? (refs.site?.id ?? null) : deal.siteId,
        pipelineType: input.pipelineType ?? deal.pipelineType,
        source: input.source === undefined ? deal.source : input.source,
        expectedCloseDate: input.expectedCloseDate === undefined ? deal.expectedCloseDate : input.expectedCloseDate,
        probability: input.probability ?? (moved ? stage.probability : deal.probability),
        solutionFamilies,
        scopeSummary: text("scopeSummary"),
        competitorNotes: text("competitorNotes"),
        ...outcome,
        nextStepDescription: text("nextStepDescription"),
        nextStepDate: input.nextStepDate === undefined ? deal.nextStepDate : input.nextStepDate,
        bidDueDate: input.bidDueDate === undefined ? deal.bidDueDate : input.bidDueDate,
        budgetConfirmed: input.budgetConfirmed ?? deal.budgetConfirmed,
        priority: input.priority === undefined ? deal.priority : input.priority,
        technicalRequirements: text("technicalRequirements"),
      };
      const changes = { ...dealChanges(deal, next), ...closeChanges(currentStage, stage) };
      return Object.keys(changes).length === 0 ? deal : updateDeal(tx, deal, changes);
    });
  },
};

/** A reference to check: an id the request gives, none, or a column of the deal row read with it. */
type ReferenceId = string | null | { column: string };

interface ReferenceIds {
  customerId: ReferenceId;
  contactId: ReferenceId;
  siteId: ReferenceId;
  ownerId: ReferenceId;
  workspaceId: ReferenceId;
  stageKey: string | null;
}

/** What a reference check found: an entity, null when the id names nothing, undefined when not asked. */
interface References {
  customer?: Company | null;
  contact?: Person | null;
  site?: Site | null;
  owner?: Person | null;
  workspace?: Workspace | null;
  ownerIsMember: boolean;
  stage?: Stage | null;
}

const EMPTY_REFERENCES: References = { ownerIsMember: false };

/**
 * Every reference an opportunity names, in one statement: the viewer's organization row with
 * each referenced row joined on (see joinReferences).
 */
async function loadReferences(tx: Context, ids: ReferenceIds): Promise<References> {
  const qb = tx.db
    .getRepository(Organization)
    .createQueryBuilder("organization")
    .where("organization.id = :organizationId", { organizationId: tx.viewer.organizationId });
  const references = joinReferences(tx, qb, "organization.id", ids);
  const [row] = await getRawPrepared(tx.db, qb);
  return references(row);
}

/**
 * Joins onto `qb` (one row: the organization, or the deal being updated) each referenced row of
 * the organization `organization` (an SQL expression), so a miss is a NULL, never a missing
 * row; the owner's membership of the workspace; and the SALES stage by key. Ids that are not
 * UUIDs are not asked. Answers how to read the references from the row, each primed into its
 * loader.
 */
function joinReferences(
  { loaders }: Context,
  qb: SelectQueryBuilder<ObjectLiteral>,
  organization: string,
  ids: ReferenceIds,
): (row: Record<string, unknown>) => References {
  const asked: string[] = [];
  const join = (alias: string, entity: Function, condition: string, parameters: Record<string, unknown> = {}) => {
    qb.leftJoinAndMapOne(`${qb.alias}.${alias}`, entity, alias, condition, parameters);
    asked.push(alias);
  };
  /** The SQL for an id: a parameter, the deal's column, or null when not asked. */
  const sqlOf = (name: string, value: ReferenceId): string | null => {
    if (value !== null && typeof value === "object") return value.column;
    if (!value || !isUUID(value)) return null;
    qb.setParameter(name, value.toLowerCase());
    return `CAST(:${name} AS uuid)`;
  };
  const inOrganization = (alias: string, id: string) => `${alias}.organization_id = ${organization} AND ${alias}.id = ${id}`;
  const employerOf = (alias: string) => join(`${alias}_company`, Company, inOrganization(`${alias}_company`, `${alias}.company_id`));

  // Aliases of their own: the deal's read joins its own stage and workspace.
  const customer = sqlOf("refCustomerId", ids.customerId);
  const contact = sqlOf("refContactId", ids.contactId);
  const site = sqlOf("refSiteId", ids.siteId);
  const owner = sqlOf("refOwnerId", ids.ownerId);
  const workspace = sqlOf("refWorkspaceId", ids.workspaceId);
  if (customer) join("ref_customer", Company, inOrganization("ref_customer", customer));
  if (contact) {
    join("ref_contact", Person, inOrganization("ref_contact", contact));
    employerOf("ref_contact");
  }
  if (site) join("ref_site", Site, inOrganization("ref_site", site));
  if (owner) {
    join("ref_owner", Person, inOrganization("ref_owner", owner));
    employerOf("ref_owner");
  }
  if (workspace) {
    join("ref_workspace", Workspace, inOrganization("ref_workspace", workspace));
    if (owner) {
      qb.addSelect(
        `EXISTS (SELECT 1 FROM workspace_membership membership
                  WHERE membership.organization_id = ${organization}
                    AND membership.workspace_id = ${workspace} AND membership.user_id = ${owner})`,
        "owner_is_member",
      );
    }
  }
  if (ids.stageKey) {
    join("ref_stage", Stage, `ref_stage.organization_id = ${organization} AND ref_stage.pipeline = :refPipeline AND ref_stage.key = :refStageKey`, { refPipeline: Pipeline.SALES, refStageKey: ids.stageKey });
  }

  return (row) => {
    const refs: References = { ownerIsMember: row.owner_is_member === true };
    for (const alias of asked) {
      const entity = entityFromRaw<any>(qb, row, alias);
      const name = alias.slice("ref_".length);
      if (["customer", "contact", "site", "owner", "workspace", "stage"].includes(name)) (refs as any)[name] = entity;
      if (!entity) continue;
      if (entity instanceof Company) loaders.company.prime(entity.id, entity);
      else if (entity instanceof Person) loaders.person.prime(entity.id, entity);
      else if (entity instanceof Site) loaders.site.prime(entity.id, entity);
      else if (entity instanceof Workspace) loaders.workspace.prime(entity.id, entity);
      else if (entity instanceof Stage) loaders.stage.prime(entity.id, entity);
    }
    return refs;
  };
}

/**
 * The rules on what the references found: each exists, the site belongs to the customer, the
 * owner is a USER and a member of the workspace, and a workspace you name is one of yours.
 */
function checkReferences(
  { viewer }: Context,
  problems: InputProblems,
  refs: References,
  blame: { siteBlame: string; ownerBlame: string; workspaceChanged?: boolean },
): void {
  // Authorization, not input: a workspace of the organization you are not a member of.
  if (refs.workspace && (blame.workspaceChanged ?? true) && !viewer.workspaceIds.includes(refs.workspace.id)) {
    throw new ForbiddenError(`You are not a member of workspace ${refs.workspace.id}.`);
  }
  if (refs.customer === null) problems.add("customerId", "no company with this id exists", "exists");
  if (refs.contact === null) problems.add("primaryContactId", "no person with this id exists", "exists");
  if (refs.site === null) problems.add("siteId", "no site with this id exists", "exists");
  if (refs.site && refs.customer && refs.site.companyId !== refs.customer.id) {
    problems.add(blame.siteBlame, "the site does not belong to the customer", "belongsToCustomer");
  }
  if (refs.workspace === null) problems.add("workspaceId", "no workspace with this id exists", "exists");
  if (refs.owner === null) {
    problems.add("ownerUserId", "no user with this id exists", "exists");
  } else if (refs.owner && refs.owner.type !== PersonType.USER) {
    problems.add("ownerUserId", "the owner must be a USER, not a CONTACT", "isUser");
  } else if (refs.owner && refs.workspace && !refs.ownerIsMember) {
    problems.add(blame.ownerBlame, "the owner must be a member of the opportunity's workspace", "isWorkspaceMember");
  }
}

function checkedFamilies(problems: InputProblems, names: string[]): string[] {
  const families = distinctNames(names);
  if (!problems.has("solutionFamilies") && families.length > MAX_SOLUTION_FAMILIES) {
    problems.add("solutionFamilies", `solutionFamilies must name at most ${MAX_SOLUTION_FAMILIES} different families`, "arrayMaxSize");
  }
  return families;
}
