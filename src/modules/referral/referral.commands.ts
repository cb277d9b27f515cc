import { Brackets } from "typeorm";
import { parseInput } from "../../core/commands/parse-input";
import { moneyText } from "../../core/validation/rules";
import type { Context } from "../../core/context/context";
import { inUnitOfWork } from "../../core/context/unit-of-work";
import { entityFromRaw } from "../../core/db/hydrate";
import { NotFoundError } from "../../core/errors/errors";
import { InputProblems } from "../../core/errors/field-errors";
import { Company } from "../company/company.entity";
import { createDeal } from "../deal/deal-creation";
import { DealKind, VisibilityMode } from "../deal/deal.enums";
import { insertFacilitators, lockVisibleDeal, replaceFacilitators, updateDeal } from "../deal/deal.repository";
import { assertMayChange, assertWritable, dealChanges } from "../deal/deal.rules";
import { Person } from "../person/person.entity";
import { peopleWithEmployers } from "../person/person.queries";
import { Product } from "../product/product.entity";
import { Pipeline, Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { ReferralOpportunity } from "./referral-opportunity.entity";
import { CreateReferralOpportunityInput, UpdateReferralOpportunityInput } from "./referral.inputs";
import { defaultName, Parties, Party, planFacilitators } from "./referral.rules";

/** Ids arrive in any case; PostgreSQL answers in lower case, and comparisons happen in JavaScript too. */
const normalId = (id: string | null | undefined) => id?.toLowerCase() ?? null;
/** The amount as the exact decimal text the column stores (validated by IsMoneyAmount already). */
const money = (value: string | number | null | undefined) => (value === null || value === undefined ? null : moneyText(value));

type PartyField = "seekerId" | "providerId" | "connectorId";

/** createReferralOpportunity and updateReferralOpportunity: plain input in, the stored deal out. */
export const referralCommands = {
  /**
   * Two reads (the people involved; the first stage with the workspace and the product), then
   * the deal with its first history entry, and its facilitators, in one transaction.
   */
  async create(ctx: Context, plain: unknown): Promise<ReferralOpportunity> {
    const { input, problems } = await parseInput(CreateReferralOpportunityInput, plain);
    return inUnitOfWork(ctx, async (tx) => {
      const { viewer } = tx;
      // Only well-formed ids are looked up; a malformed one already has its problem.
      const wellFormed = (field: PartyField | "productId") => (problems.has(field) ? null : normalId(input[field]));
      const ids = {
        seekerId: wellFormed("seekerId"),
        providerId: wellFormed("providerId"),
        connectorId: input.connectorId ? wellFormed("connectorId") : viewer.userId,
      };
      const productId = wellFormed("productId");
      const [known, { stage, product }] = await Promise.all([
        loadParties(tx, [...Object.values(ids), viewer.userId].filter((id): id is string => id !== null)),
        loadFirstStageWorkspaceAndProduct(tx, productId),
      ]);
      const parties = checkParties(problems, known, ids, { connectorGiven: Boolean(input.connectorId) });
      if (productId && !product) problems.add("productId", "no product with this id exists", "exists");
      problems.throwIfAny();
      if (!stage) throw new Error("The REFERRAL pipeline has no stages: the database is not migrated.");

      const { deal, created } = await createDeal(tx, ReferralOpportunity, {
        organizationId: viewer.organizationId,
        kind: DealKind.REFERRAL,
        name: input.name?.trim() || defaultName(parties!),
        description: input.description?.trim() || null,
        // As text, so the driver sends exactly the decimal that was validated.
        value: money(input.expectedValue),
        currency: input.currency.toUpperCase(),
        stageId: stage.id,
        ownerId: viewer.userId,
        workspaceId: viewer.workspaceId,
        visibilityMode: VisibilityMode.WORKSPACE_LOCAL,
        seekerId: parties!.seeker.person.id,
        providerId: parties!.provider.person.id,
        connectorId: parties!.connector.person.id,
        productId: productId,
      }, input);
      if (created) await insertFacilitators(tx, deal, planFacilitators(parties!, known));
      return deal;
    });
  },

  /**
   * Patch semantics: what the input leaves out stays, null clears. A new seeker, provider or
   * connector is checked as at create, and the facilitators are planned again; a name sent as
   * null or blank is made from the employers again. A patch that changes nothing writes nothing.
   */
  async update(ctx: Context, id: string, plain: unknown): Promise<ReferralOpportunity> {
    const { input, problems } = await parseInput(UpdateReferralOpportunityInput, plain);
    return inUnitOfWork(ctx, async (tx) => {
      const locked = await lockVisibleDeal(tx, id);
      if (!locked || !(locked.deal instanceof ReferralOpportunity)) throw new NotFoundError("Referral opportunity", id);
      const { deal } = locked;
      assertMayChange(tx.viewer, deal);
      assertWritable(deal, input.expectedVersion);

      const merged = (field: PartyField) =>
        input[field] === undefined || problems.has(field) ? deal[field] : normalId(input[field])!;
      const ids = { seekerId: merged("seekerId"), providerId: merged("providerId"), connectorId: merged("connectorId") };
      const replanned = ids.seekerId !== deal.seekerId || ids.providerId !== deal.providerId || ids.connectorId !== deal.connectorId;
      const renamed = input.name !== undefined && !input.name?.trim();
      const known = replanned || renamed ? await loadParties(tx, Object.values(ids)) : null;
      const parties = known ? checkParties(problems, known, ids, { connectorGiven: true }) : null;
      const productId = input.productId === undefined || problems.has("productId") ? deal.productId : normalId(input.productId);
      if (productId && productId !== deal.productId && !(await tx.loaders.product.get(productId))) {
        problems.add("productId", "no product with this id exists", "exists");
      }
      problems.throwIfAny();

      const changes = dealChanges(deal, {
        name: input.name === undefined ? deal.name : input.name?.trim() || defaultName(parties!),
        description: input.description === undefined ? deal.description : input.description?.trim() || null,
        value: input.expectedValue === undefined ? deal.value : money(input.expectedValue),
        currency: input.currency === undefined ? deal.currency : input.currency.toUpperCase(),
        productId,
        ...ids,
      });
      if (Object.keys(changes).length === 0) return deal;
      const updated = await updateDeal(tx, deal, changes);
      if (replanned) await replaceFacilitators(tx, updated, planFacilitators(parties!, known!));
      return updated;
    });
  },
};

/**
 * The three parties from what loadParties found: each must exist in the organization, and the
 * three must be different people. Null when any problem was found.
 */
function checkParties(
  problems: InputProblems,
  known: Map<string, Party>,
  ids: Record<PartyField, string | null>,
  { connectorGiven }: { connectorGiven: boolean },
): Parties | null {
  const seeker = ids.seekerId ? known.get(ids.seekerId) : undefined;
  const provider = ids.providerId ? known.get(ids.providerId) : undefined;
  const connector = ids.connectorId ? known.get(ids.connectorId) : undefined;
  if (ids.seekerId && !seeker) problems.add("seekerId", "no person with this id exists", "exists");
  if (ids.providerId && !provider) problems.add("providerId", "no person with this id exists", "exists");
  if (ids.connectorId && !connector) problems.add("connectorId", "no person with this id exists", "exists");
  if (ids.seekerId && ids.seekerId === ids.providerId) {
    problems.add("providerId", "the provider must be a different person from the seeker", "isDistinctPerson");
  }
  const connectorIs = connectorGiven ? "the connector" : "the connector (you, as no connectorId was given)";
  if (ids.connectorId && ids.connectorId === ids.seekerId) {
    problems.add("connectorId", `${connectorIs} must be a different person from the seeker`, "isDistinctPerson");
  }
  if (ids.connectorId && ids.connectorId === ids.providerId) {
    problems.add("connectorId", `${connectorIs} must be a different person from the provider`, "isDistinctPerson");
  }
  return seeker && provider && connector ? { seeker, provider, connector } : null;
}

/**
 * The people a new deal involves and everyone who referred them, with their employers, in one
 * statement; each is primed into the person and company loaders. Ids of another organization
 * are simply not found.
 */
async function loadParties({ db, viewer, loaders }: Context, ids: string[]): Promise<Map<string, Party>> {
  const qb = peopleWithEmployers(db, viewer.organizationId).andWhere(
      new Brackets((wanted) =>
        wanted
          .where("person.id = ANY(:ids)")
          .orWhere(
            `person.id IN (SELECT named.referred_by_id FROM person named
                            WHERE named.organization_id = :organizationId AND named.id = ANY(:ids))`,
          ),
      ),
      { ids },
    );
  const parties = new Map<string, Party>();
  for (const row of await qb.getRawMany()) {
    const person = entityFromRaw<Person>(qb, row)!;
    parties.set(person.id, { person, employer: entityFromRaw<Company>(qb, row, "company") });
    loaders.primeEmployer(qb, row);
    loaders.person.prime(person.id, person);
  }
  return parties;
}

interface StageWorkspaceAndProduct {
  stage: Stage | null;
  workspace: Workspace | null;
  product: Product | null;
  productCompany: Company | null;
}

/**
 * The REFERRAL pipeline's first stage, with the caller's workspace and the product (and its
 * company) joined on: unrelated rows, but one statement instead of three.
 */
async function loadFirstStageWorkspaceAndProduct(
  { db, viewer, loaders }: Context,
  productId: string | null,
): Promise<StageWorkspaceAndProduct> {
  const qb = db
    .getRepository(Stage)
    .createQueryBuilder("stage")
    .leftJoinAndMapOne(
      "stage.workspace",
      Workspace,
      "workspace",
      "workspace.organization_id = :organizationId AND workspace.id = :workspaceId",
      { organizationId: viewer.organizationId, workspaceId: viewer.workspaceId },
    )
    .where("stage.organization_id = :organizationId AND stage.pipeline = :pipeline AND stage.deleted_at IS NULL", { pipeline: Pipeline.REFERRAL })
    .orderBy("stage.sort_order", "ASC")
    .addOrderBy("stage.id", "ASC")
    .limit(1);
  if (productId) {
    qb.leftJoinAndMapOne(
      "stage.product",
      Product,
      "product",
      "product.organization_id = :organizationId AND product.id = :productId",
      { productId },
    ).leftJoinAndMapOne(
      "stage.productCompany",
      Company,
      "product_company",
      "product_company.organization_id = product.organization_id AND product_company.id = product.company_id",
    );
  }
  const stage = (await qb.getOne()) as (Stage & Partial<Omit<StageWorkspaceAndProduct, "stage">>) | null;
  const { workspace = null, product = null, productCompany = null } = stage ?? {};
  if (stage) {
    delete stage.workspace;
    delete stage.product;
    delete stage.productCompany;
    loaders.stage.prime(stage.id, stage);
  }
  if (workspace) loaders.workspace.prime(workspace.id, workspace);
  if (product) loaders.product.prime(product.id, product);
  if (productCompany) loaders.company.prime(productCompany.id, productCompany);
  return { stage, workspace, product, productCompany };
}

