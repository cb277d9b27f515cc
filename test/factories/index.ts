import { randomUUID } from "node:crypto";
import { DataSource } from "typeorm";
import { Viewer } from "../../src/core/auth/viewer";
import { insertRow } from "../../src/core/db/insert";
import { adminService } from "../../src/modules/admin/admin.service";
import { Company } from "../../src/modules/company/company.entity";
import { VisibilityMode } from "../../src/modules/deal/deal.enums";
import { Opportunity } from "../../src/modules/opportunity/opportunity.entity";
import { PipelineType } from "../../src/modules/opportunity/opportunity.enums";
import { Person, PersonType } from "../../src/modules/person/person.entity";
import { Product } from "../../src/modules/product/product.entity";
import { ReferralOpportunity } from "../../src/modules/referral/referral-opportunity.entity";
import { Site } from "../../src/modules/site/site.entity";
import { Pipeline, Stage } from "../../src/modules/stage/stage.entity";

/** A user with an API key, as the CLI makes them. */
export interface TestUser {
  organizationId: string;
  workspaceId: string;
  userId: string;
  apiKey: string;
  viewer: Viewer;
}

const unique = () => randomUUID().slice(0, 8);

/** A new organization with one workspace and one user (and key): every test file makes its own. */
export async function createTenant(db: DataSource, name = `Org ${unique()}`): Promise<TestUser> {
  const made = await adminService.bootstrap(db, {
    org: name,
    workspace: "Main",
    email: `owner-${unique()}@example.com`,
    firstName: "Olive",
    lastName: "Owner",
  });
  return { ...made, viewer: { ...viewerOf(made, [made.workspaceId]), isAdmin: true } };
}

export async function createWorkspace(db: DataSource, organizationId: string, name = `Workspace ${unique()}`): Promise<string> {
  return (await adminService.createWorkspace(db, { org: organizationId, name })).workspaceId;
}

/** Another user of the organization: a member of `workspaceId` (default workspace) and of `alsoIn`. */
export async function createUser(
  db: DataSource,
  organizationId: string,
  workspaceId: string,
  alsoIn: string[] = [],
  names: { firstName?: string; lastName?: string; companyId?: string } = {},
): Promise<TestUser> {
  const made = await adminService.createUser(db, {
    org: organizationId,
    workspace: workspaceId,
    email: `user-${unique()}@example.com`,
    firstName: names.firstName ?? "Uma",
    lastName: names.lastName ?? "User",
  });
  for (const other of alsoIn) await adminService.addMember(db, { workspace: other, user: made.userId });
  if (names.companyId) await db.getRepository(Person).update({ organizationId, id: made.userId }, { companyId: names.companyId });
  const { apiKey } = await adminService.createKey(db, { user: made.userId });
  return { ...made, apiKey, viewer: viewerOf(made, [workspaceId, ...alsoIn]) };
}

function viewerOf(made: { organizationId: string; userId: string; workspaceId: string }, workspaceIds: string[]): Viewer {
  return { organizationId: made.organizationId, userId: made.userId, workspaceId: made.workspaceId, workspaceIds };
}

export function createCompany(db: DataSource, organizationId: string, name = `Company ${unique()}`): Promise<Company> {
  return insertRow(db.manager, Company, { organizationId, name });
}

export function createPerson(db: DataSource, organizationId: string, values: Partial<Person> = {}): Promise<Person> {
  return insertRow(db.manager, Person, {
    organizationId,
    type: PersonType.CONTACT,
    firstName: "Pat",
    lastName: `Person ${unique()}`,
    ...values,
  } as Partial<Person>);
}

export function createProduct(db: DataSource, organizationId: string, companyId: string | null = null): Promise<Product> {
  return insertRow(db.manager, Product, { organizationId, name: `Product ${unique()}`, companyId });
}

export function createSite(db: DataSource, organizationId: string, companyId: string): Promise<Site> {
  return insertRow(db.manager, Site, { organizationId, companyId, name: `Site ${unique()}` });
}

/** The id of an organization's stage by pipeline and key, such as ("sales", "lead"). */
export async function stageId(db: DataSource, organizationId: string, pipeline: Pipeline, key: string): Promise<string> {
  return (await db.getRepository(Stage).findOneByOrFail({ organizationId, pipeline, key })).id;
}

/**
 * A sales opportunity written straight to the table, bypassing createOpportunity's rules:
 * for read and visibility tests that need many deals or unusual ones.
 */
export async function insertOpportunity(
  db: DataSource,
  where: { organizationId: string; workspaceId: string; ownerId: string },
  values: Partial<Opportunity> & { customerId: string },
): Promise<Opportunity> {
  return insertRow(db.manager, Opportunity, {
    ...where,
    name: `Opportunity ${unique()}`,
    stageId: await stageId(db, where.organizationId, Pipeline.SALES, "lead"),
    visibilityMode: VisibilityMode.WORKSPACE_LOCAL,
    pipelineType: PipelineType.NEW_CONSTRUCTION,
    probability: 10,
    budgetConfirmed: false,
    solutionFamilies: [],
    currency: "USD",
    ...values,
  } as Partial<Opportunity>);
}

/** A referral deal written straight to the table (seeker, provider and connector made when not given). */
export async function insertReferral(
  db: DataSource,
  where: { organizationId: string; workspaceId: string; ownerId: string },
  values: Partial<ReferralOpportunity> = {},
): Promise<ReferralOpportunity> {
  const [seeker, provider] = await Promise.all([createPerson(db, where.organizationId), createPerson(db, where.organizationId)]);
  return insertRow(db.manager, ReferralOpportunity, {
    ...where,
    name: `Referral ${unique()}`,
    stageId: await stageId(db, where.organizationId, Pipeline.REFERRAL, "lead"),
    visibilityMode: VisibilityMode.WORKSPACE_LOCAL,
    currency: "USD",
    seekerId: seeker.id,
    providerId: provider.id,
    connectorId: where.ownerId,
    ...values,
  } as Partial<ReferralOpportunity>);
}
