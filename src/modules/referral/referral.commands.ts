import { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { parseInput } from "../../core/commands/parse-input";
import { moneyText } from "../../core/validation/rules";
import type { Context } from "../../core/context/context";
import { entityFromRaw } from "../../core/db/hydrate";
import { NotFoundError } from "../../core/errors/errors";
import { InputProblems } from "../../core/errors/field-errors";
import { Company } from "../company/company.entity";
import { createDeal } from "../deal/deal-creation";
import { DealKind, VisibilityMode } from "../deal/deal.enums";
import { runDealCommand } from "../deal/deal-command";
import { readVisibleDeal, updateDeal } from "../deal/deal.repository";
import { assertMayChange, assertWritable, dealChanges } from "../deal/deal.rules";
import { Person } from "../person/person.entity";
import { Product } from "../product/product.entity";
import { Pipeline, Stage } from "../stage/stage.entity";
import { Workspace } from "../workspace/workspace.entity";
import { Organization } from "../organization/organization.entity";
import { ReferralOpportunity } from "./referral-opportunity.entity";
import { CreateReferralOpportunityInput, UpdateReferralOpportunityInput } from "./referral.inputs";
import { defaultName, Parties, Party, planFacilitators } from "./referral.rules";
import { getRawPrepared } from "../../core/db/prepared";

/** Ids arrive in any case; PostgreSQL answers in lower case, and comparisons happen in JavaScript too. */
const normalId = (id: string | null | undefined) => id?.toLowerCase() ?? null;
/** The amount as the exact decimal text the column stores (validated by IsMoneyAmount already). */
const money = (value: string | number | null | undefined) => (value === null || value === undefined ? null : moneyText(value));

type PartyField = "seekerId" | "providerId" | "connectorId";
/** Each party's column of the deal row. */
const PARTY_COLUMNS: Record<PartyField, string> = { seekerId: "seeker_id", providerId: "provider_id", connectorId: "connector_id" };

/** createReferralOpportunity and updateReferralOpportunity: plain input in, the stored deal out. */
export const referralCommands = {
  /**
   * One read (the people involved, the first stage, the workspace and the product), then the
   * deal with its first history entry and its facilitators in one statement (deal-command.ts).
   */
  async create(ctx: Context, plain: unknown): Promise<ReferralOpportunity> {
    const { input, problems } = await parseInput(CreateReferralOpportunityInput, plain);
    return runDealCommand(ctx, async (tx) => {
      const { viewer } = tx;
      // Only well-formed ids are looked up; a malformed one already has its problem.
      const wellFormed = (field: PartyField | "productId") => (problems.has(field) ? null : normalId(input[field]));
      const ids = {
        seekerId: wellFormed("seekerId"),
        providerId: wellFormed("providerId"),
        connectorId: input.connectorId ? wellFormed("connectorId") : viewer.userId,
      };
      const productId = wellFormed("productId");
      const { known, stage, product } = await loadCreateReferences(
        tx,
        [...Object.values(ids), viewer.userId].filter((id): id is string => id !== null),
        productId,
      );
      const parties = checkParties(problems, known, ids, { connectorGiven: Boolean(input.connectorId) });
      if (productId && !product) problems.add("productId", "no product with this id exists", "exists");
      problems.throwIfAny();
      if (!stage) throw new Error("The REFERRAL pipeline has no stages: the database is not migrated.");

      const { deal } = await createDeal(
        tx,
        ReferralOpportunity,
        {
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
        },
        input,
        planFacilitators(parties!, known),
      );
      return deal;
    });
  },

  /**
   * Patch semantics: what the input leaves out stays, null clears. A new seeker, provider or
   * connector is checked as at create, and the facilitators are planned again; a name sent as
   * null or blank is made from the employers again. A patch that changes nothing writes nothing.
   * One read (the deal with the people and the product the patch involves), one write.
   */
  async update(ctx: Context, id: string, plain: unknown): Promise<ReferralOpportunity> {
    const { input, problems } = await parseInput(UpdateReferralOpportunityInput, plain);
    return runDealCommand(ctx, async (tx) => {
      const given = (field: PartyField | "productId") => input[field] !== undefined && !problems.has(field);
      const renamed = input.name !== undefined && !input.name?.trim();
      const partyFields: PartyField[] = ["seekerId", "providerId", "connectorId"];
      // The people are read with the deal when a party may change or the name is made again:
      // each party as given, else as the deal has it.
      const peopleNeeded = renamed || partyFields.some(given);
      const productAsked = given("productId") && input.productId ? normalId(input.productId) : null;
      const read = await readVisibleDeal(tx, id, {
        also: (qb) => {
          if (peopleNeeded) {
            const partyIds = partyFields.map((field) => (given(field) ? `CAST(:${field} AS uuid)` : `deal.${PARTY_COLUMNS[field]}`));
            for (const field of partyFields) if (given(field)) qb.setParameter(field, normalId(input[field]));
            joinParties(qb, tx.viewer.organizationId, `ARRAY[${partyIds.join(", ")}]::uuid[]`);
          }
          if (productAsked) {
            qb.leftJoinAndMapOne("deal.askedProduct", Product, "product", "product.organization_id = deal.organization_id AND product.id = :productId", {
              productId: productAsked,
            });
          }
        },
      });
      if (!read || !(read.deal instanceof ReferralOpportunity)) throw new NotFoundError("Referral opportunity", id);
      const { deal } = read;
      assertMayChange(tx.viewer, deal);
      assertWritable(deal, input.expectedVersion);

      const merged = (field: PartyField) => (given(field) ? normalId(input[field])! : deal[field]);
      const ids = { seekerId: merged("seekerId"), providerId: merged("providerId"), connectorId: merged("connectorId") };
      const replanned = ids.seekerId !== deal.seekerId || ids.providerId !== deal.providerId || ids.connectorId !== deal.connectorId;
      const known = replanned || renamed ? partiesFrom(tx, read.qb, read.rows) : null;
      const parties = known ? checkParties(problems, known, ids, { connectorGiven: true }) : null;
      const productId = given("productId") ? normalId(input.productId) : deal.productId;
      if (productAsked) {
        const product = entityFromRaw<Product>(read.qb, read.rows[0], "product");
        if (product) tx.loaders.product.prime(product.id, product);
        else if (productId !== deal.productId) problems.add("productId", "no product with this id exists", "exists");
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
      return updateDeal(tx, deal, changes, replanned ? { facilitators: planFacilitators(parties!, known!) } : {});
    });
  },
};

/**
 * The three parties from the people read (partiesFrom): each must exist in the organization, and the
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
 * Joins onto `qb` the people of the organization `organizationId` whose ids the SQL array `ids`
 * names and everyone who referred them (alias `person`), with their employers (alias `company`,
 * which Loaders.primeEmployer reads): one row each. Ids of another organization are simply not
 * found. The ids are gathered into one array first, so that the people are found by their
 * primary key (an OR with a subquery would be checked against every person of the organization).
 */
function joinParties(qb: SelectQueryBuilder<ObjectLiteral>, organizationId: string, ids: string): void {
  qb.leftJoinAndMapOne(
    `${qb.alias}.party`,
    Person,
    "person",
    `person.organization_id = :partyOrganizationId
       AND person.id = ANY(ARRAY(
             SELECT wanted FROM unnest(${ids}) AS wanted
             UNION
             SELECT named.referred_by_id FROM person named WHERE named.organization_id = :partyOrganizationId AND named.id = ANY(${ids})))`,
    { partyOrganizationId: organizationId },
  ).leftJoinAndMapOne(`${qb.alias}.partyEmployer`, Company, "company", "company.organization_id = person.organization_id AND company.id = person.company_id");
}

/** The people joinParties read, by id; each is primed into the person and company loaders. */
function partiesFrom({ loaders }: Context, qb: SelectQueryBuilder<ObjectLiteral>, rows: Array<Record<string, unknown>>): Map<string, Party> {
  const parties = new Map<string, Party>();
  for (const row of rows) {
    const person = entityFromRaw<Person>(qb, row, "person");
    if (!person || parties.has(person.id)) continue;
    parties.set(person.id, { person, employer: entityFromRaw<Company>(qb, row, "company") });
    loaders.primeEmployer(qb, row);
    loaders.person.prime(person.id, person);
  }
  return parties;
}

/**
 * The first stage a new referral enters, joined as alias `stage` onto a query whose root is the
 * viewer's `organization` row: the one place a create reads it (stages by organization name the
 * organization here).
 */
function joinFirstReferralStage(qb: SelectQueryBuilder<Organization>): void {
  qb.leftJoinAndMapOne(
    "organization.firstStage",
    Stage,
    "stage",
    `stage.organization_id = organization.id AND stage.id = (
       SELECT first_stage.id FROM stage first_stage
        WHERE first_stage.organization_id = organization.id AND first_stage.pipeline = :pipeline AND first_stage.deleted_at IS NULL
        ORDER BY first_stage.sort_order, first_stage.id LIMIT 1)`,
    { pipeline: Pipeline.REFERRAL },
  );
}

interface CreateReferences {
  known: Map<string, Party>;
  stage: Stage | null;
  workspace: Workspace | null;
  product: Product | null;
}

/**
 * Everything a new referral is checked against, in one statement: the viewer's organization row
 * with the REFERRAL pipeline's first stage, the caller's workspace and the product (and its
 * company) joined on, and the people (one row each). Each is primed into its loader.
 */
async function loadCreateReferences(tx: Context, partyIds: string[], productId: string | null): Promise<CreateReferences> {
  const { db, viewer, loaders } = tx;
  const qb = db
    .getRepository(Organization)
    .createQueryBuilder("organization")
    .leftJoinAndMapOne(
      "organization.workspace",
      Workspace,
      "workspace",
      "workspace.organization_id = organization.id AND workspace.id = :workspaceId",
      { workspaceId: viewer.workspaceId },
    )
    .where("organization.id = :organizationId", { organizationId: viewer.organizationId });
  joinFirstReferralStage(qb);
  if (productId) {
    qb.leftJoinAndMapOne("organization.product", Product, "product", "product.organization_id = organization.id AND product.id = :productId", {
      productId,
    }).leftJoinAndMapOne(
      "organization.productCompany",
      Company,
      "product_company",
      "product_company.organization_id = product.organization_id AND product_company.id = product.company_id",
    );
  }
  joinParties(qb, viewer.organizationId, "CAST(:partyIds AS uuid[])");
  qb.setParameter("partyIds", partyIds);
  const rows = await getRawPrepared(tx.db, qb);
  const [row] = rows;
  const stage = entityFromRaw<Stage>(qb, row, "stage");
  const workspace = entityFromRaw<Workspace>(qb, row, "workspace");
  const product = productId ? entityFromRaw<Product>(qb, row, "product") : null;
  const productCompany = productId ? entityFromRaw<Company>(qb, row, "product_company") : null;
  if (stage) loaders.stage.prime(stage.id, stage);
  if (workspace) loaders.workspace.prime(workspace.id, workspace);
  if (product) loaders.product.prime(product.id, product);
  if (productCompany) loaders.company.prime(productCompany.id, productCompany);
  return { known: partiesFrom(tx, qb, rows), stage, workspace, product };
}
