import { Brackets } from "typeorm";
import { Context } from "../../core/context/context";
import { entityFromRaw } from "../../core/db/hydrate";
import { insertRows } from "../../core/db/insert";
import { InputProblems } from "../../core/errors/field-errors";
import { OrderDirection, Page, PageArgs, paginate, SortKey } from "../../core/pagination/connection";
import { Company } from "../company/company.entity";
import { dealCreatedEarlier, insertDeal } from "../deal/deal-creation";
import { DealKind, FacilitatorRole, FacilitatorSide, VisibilityMode } from "../deal/deal.enums";
import { byFacilitatorOrder, Facilitator } from "../deal/facilitator.entity";
import { whereVisibleTo } from "../deal/visibility";
import { displayName, Person } from "../person/person.entity";
import { peopleWithEmployers } from "../person/person.queries";
import { Product } from "../product/product.entity";
import { Pipeline, Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { ReferralOpportunity } from "./referral-opportunity.entity";
import {
  CreateReferralOpportunityInput,
  REFERRAL_NAME_MAX_LENGTH,
  ReferralOpportunityFilter,
  ReferralOpportunityOrder,
  ReferralOpportunityOrderField,
} from "./referral.inputs";

/** A person the new deal involves, with their employer (null when they have none). */
interface Party {
  person: Person;
  employer: Company | null;
}

interface Parties {
  seeker: Party;
  provider: Party;
  connector: Party;
}

type PlannedFacilitator = Pick<Facilitator, "personId" | "companyId" | "role" | "side">;

const SORT_KEYS: Record<ReferralOpportunityOrderField, SortKey> = {
  [ReferralOpportunityOrderField.CREATED_AT]: { name: "createdAt", expression: "deal.created_at", type: "timestamptz" },
  [ReferralOpportunityOrderField.NAME]: { name: "name", expression: "lower(deal.name)", type: "text" },
  // Values are never negative, so -1 puts deals without one below every amount.
  [ReferralOpportunityOrderField.EXPECTED_VALUE]: {
    name: "expectedValue",
    expression: "coalesce(deal.value, -1)",
    type: "numeric",
  },
};

/** Ids arrive in any case; PostgreSQL answers in lower case, and comparisons happen in JavaScript too. */
const normalId = (id: string | null | undefined) => id?.toLowerCase() ?? null;

export const referralService = {
  /**
   * Two reads (the people involved; the first stage with the workspace and the product), then
   * the deal and its facilitators in one transaction. Everything read or written is primed into
   * the request's loaders, so the response resolves without another statement.
   */
  async create(ctx: Context, input: CreateReferralOpportunityInput): Promise<ReferralOpportunity> {
    const { db, viewer, loaders } = ctx;
    const problems = await InputProblems.of(input);
    // Only well-formed ids are looked up; a malformed one already has its problem.
    const wellFormed = (field: "seekerId" | "providerId" | "connectorId" | "productId") =>
      problems.has(field) ? null : normalId(input[field]);
    const seekerId = wellFormed("seekerId");
    const providerId = wellFormed("providerId");
    const connectorId = input.connectorId ? wellFormed("connectorId") : viewer.userId;
    const productId = wellFormed("productId");

    const wanted = [seekerId, providerId, connectorId, viewer.userId].filter((id): id is string => id !== null);
    const [parties, { stage, workspace, product, productCompany }] = await Promise.all([
      loadParties(ctx, wanted),
      loadFirstStageWorkspaceAndProduct(ctx, productId),
    ]);

    const seeker = seekerId ? parties.get(seekerId) : undefined;
    const provider = providerId ? parties.get(providerId) : undefined;
    const connector = connectorId ? parties.get(connectorId) : undefined;
    if (seekerId && !seeker) problems.add("seekerId", "no person with this id exists", "exists");
    if (providerId && !provider) problems.add("providerId", "no person with this id exists", "exists");
    if (input.connectorId && connectorId && !connector) {
      problems.add("connectorId", "no person with this id exists", "exists");
    }
    if (productId && !product) problems.add("productId", "no product with this id exists", "exists");

    if (seekerId && seekerId === providerId) {
      problems.add("providerId", "the provider must be a different person from the seeker", "isDistinctPerson");
    }
    const connectorIs = input.connectorId ? "the connector" : "the connector (you, as no connectorId was given)";
    if (connectorId && connectorId === seekerId) {
      problems.add("connectorId", `${connectorIs} must be a different person from the seeker`, "isDistinctPerson");
    }
    if (connectorId && connectorId === providerId) {
      problems.add("connectorId", `${connectorIs} must be a different person from the provider`, "isDistinctPerson");
    }
    problems.throwIfAny();

    // All three were found, or throwIfAny would have reported them.
    const found: Parties = { seeker: seeker!, provider: provider!, connector: connector! };
    if (!stage) throw new Error("The REFERRAL pipeline has no stages: the database is not migrated.");
    const facilitators = planFacilitators(found, parties);

    const key = input.idempotencyKey ?? null;
    const values = {
      organizationId: viewer.organizationId,
      kind: DealKind.REFERRAL,
      name: input.name?.trim() || defaultName(found),
      description: input.description?.trim() || null,
      // As text, so the driver sends exactly the decimal that was validated.
      value: input.expectedValue === null || input.expectedValue === undefined ? null : String(input.expectedValue),
      currency: input.currency.toUpperCase(),
      stageId: stage.id,
      ownerId: viewer.userId,
      workspaceId: viewer.workspaceId,
      visibilityMode: VisibilityMode.WORKSPACE_LOCAL,
      seekerId: found.seeker.person.id,
      providerId: found.provider.person.id,
      connectorId: found.connector.person.id,
      productId: product?.id ?? null,
      idempotencyKey: key,
    };
    const written = await db.transaction(async (tx) => {
      const deal = await insertDeal(tx, ReferralOpportunity, values);
      if (!deal) return null; // an earlier request with this key made the deal
      const created = await insertRows(
        tx,
        Facilitator,
        facilitators.map((f) => ({ ...f, organizationId: viewer.organizationId, dealId: deal.id })),
      );
      return { deal, created };
    });
    if (!written) return dealCreatedEarlier(ctx, ReferralOpportunity, key!);

    const { deal, created } = written;
    loaders.deal.prime(deal.id, deal);
    loaders.facilitatorsByDeal.prime(deal.id, created.sort(byFacilitatorOrder));
    loaders.stage.prime(stage.id, stage);
    if (workspace) loaders.workspace.prime(workspace.id, workspace);
    if (product) loaders.product.prime(product.id, product);
    if (productCompany) loaders.company.prime(productCompany.id, productCompany);
    return deal;
  },

  async list(
    { db, viewer }: Context,
    page: PageArgs,
    filter: ReferralOpportunityFilter = {},
    order?: ReferralOpportunityOrder,
  ): Promise<Page<ReferralOpportunity>> {
    // The child entity's query builder adds kind = 'referral' by itself.
    const qb = whereVisibleTo(db.getRepository(ReferralOpportunity).createQueryBuilder("deal"), "deal", viewer);
    if (filter.stageId) qb.andWhere("deal.stage_id = :stageId", { stageId: filter.stageId });
    if (filter.seekerId) qb.andWhere("deal.seeker_id = :seekerId", { seekerId: filter.seekerId });
    if (filter.providerId) qb.andWhere("deal.provider_id = :providerId", { providerId: filter.providerId });
    if (filter.connectorId) qb.andWhere("deal.connector_id = :connectorId", { connectorId: filter.connectorId });
    if (filter.createdAfter) qb.andWhere("deal.created_at >= :createdAfter", { createdAfter: filter.createdAfter });
    if (filter.createdBefore) qb.andWhere("deal.created_at < :createdBefore", { createdBefore: filter.createdBefore });
    const field = order?.field ?? ReferralOpportunityOrderField.CREATED_AT;
    return paginate(qb, page, SORT_KEYS[field], order?.direction ?? OrderDirection.DESC);
  },
};

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
  { db, viewer }: Context,
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
    .where("stage.pipeline = :pipeline", { pipeline: Pipeline.REFERRAL })
    .orderBy("stage.sort_order", "ASC")
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
  }
  return { stage, workspace, product, productCompany };
}

/**
 * "<seeker's employer> → <provider's employer>", a person's own name standing in for an
 * employer they lack, cut to the column's 200 characters (code points, as PostgreSQL counts).
 */
function defaultName({ seeker, provider }: Parties): string {
  const label = ({ person, employer }: Party) => employer?.name.trim() || displayName(person);
  const full = `${label(seeker)} → ${label(provider)}`;
  return Array.from(full).slice(0, REFERRAL_NAME_MAX_LENGTH).join("").trimEnd();
}

/**
 * The connector, on the provider's side when employed by the provider's company, else on the
 * seeker's; then each party's referral source on that party's side, unless they are a party
 * themselves. A person appears at most once on a side. Each row keeps the person's employer of
 * today, whatever their employer later becomes.
 */
function planFacilitators({ seeker, provider, connector }: Parties, known: Map<string, Party>): PlannedFacilitator[] {
  const partyIds = new Set([seeker.person.id, provider.person.id, connector.person.id]);
  const worksForProvider =
    connector.person.companyId !== null && connector.person.companyId === provider.person.companyId;
  const planned: PlannedFacilitator[] = [
    {
      personId: connector.person.id,
      companyId: connector.person.companyId,
      role: FacilitatorRole.CONNECTOR,
      side: worksForProvider ? FacilitatorSide.PROVIDER : FacilitatorSide.SEEKER,
    },
  ];
  const sources: Array<[Party, FacilitatorSide]> = [
    [seeker, FacilitatorSide.SEEKER],
    [provider, FacilitatorSide.PROVIDER],
  ];
  for (const [party, side] of sources) {
    const source = party.person.referredById ? known.get(party.person.referredById) : undefined;
    if (!source || partyIds.has(source.person.id)) continue;
    if (planned.some((f) => f.side === side && f.personId === source.person.id)) continue;
    planned.push({
      personId: source.person.id,
      companyId: source.person.companyId,
      role: FacilitatorRole.REFERRAL_SOURCE,
      side,
    });
  }
  return planned;
}
