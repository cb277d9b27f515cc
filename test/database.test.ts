import { insertRow } from "../src/core/db/insert";
import { FacilitatorRole, FacilitatorSide } from "../src/modules/deal/deal.enums";
import { Facilitator } from "../src/modules/deal/facilitator.entity";
import { Person } from "../src/modules/person/person.entity";
import { createCompany, createPerson, createSite, createTenant, insertOpportunity, insertReferral, TestUser } from "./factories";
import { useTestService } from "./support/harness";

/**
 * What the database itself refuses, whatever code writes to it: the last line of defence
 * behind the services' checks.
 */
describe("the database's own guarantees", () => {
  const service = useTestService();
  let a: TestUser;
  let b: TestUser;
  const where = () => ({ organizationId: a.organizationId, workspaceId: a.workspaceId, ownerId: a.userId });

  beforeAll(async () => {
    a = await createTenant(service.db);
    b = await createTenant(service.db);
  });

  it("refuses a reference to another organization's row", async () => {
    const foreign = await createCompany(service.db, b.organizationId);
    await expect(createPerson(service.db, a.organizationId, { companyId: foreign.id })).rejects.toThrow(/foreign key/);
    await expect(insertOpportunity(service.db, where(), { customerId: foreign.id })).rejects.toThrow(/foreign key/);
  });

  it("refuses a site of another customer on an opportunity", async () => {
    const [customer, other] = await Promise.all([createCompany(service.db, a.organizationId), createCompany(service.db, a.organizationId)]);
    const site = await createSite(service.db, a.organizationId, other.id);
    await expect(insertOpportunity(service.db, where(), { customerId: customer.id, siteId: site.id })).rejects.toThrow(/foreign key/);
  });

  it("refuses an opportunity without a solution families list", async () => {
    const customer = await createCompany(service.db, a.organizationId);
    await expect(
      insertOpportunity(service.db, where(), { customerId: customer.id, solutionFamilies: null }),
    ).rejects.toThrow(/pipeline_deal_opportunity_solution_families_check/);
  });

  it("refuses a referral whose seeker is also its provider or connector", async () => {
    const person = await createPerson(service.db, a.organizationId);
    await expect(insertReferral(service.db, where(), { seekerId: person.id, providerId: person.id })).rejects.toThrow(/check constraint/);
    await expect(insertReferral(service.db, where(), { seekerId: a.userId })).rejects.toThrow(/check constraint/);
  });

  it("refuses the same person twice on one side of a deal", async () => {
    const deal = await insertReferral(service.db, where());
    const row = { organizationId: a.organizationId, dealId: deal.id, personId: a.userId, role: FacilitatorRole.CONNECTOR, side: FacilitatorSide.SEEKER };
    await insertRow(service.db.manager, Facilitator, row);
    await expect(insertRow(service.db.manager, Facilitator, { ...row, role: FacilitatorRole.REFERRAL_SOURCE })).rejects.toThrow(
      /pipeline_deal_facilitator_once_per_side/,
    );
    await expect(insertRow(service.db.manager, Facilitator, { ...row, side: FacilitatorSide.PROVIDER })).resolves.toBeDefined();
  });

  it("refuses negative values, bad currencies and probabilities outside 0–100", async () => {
    const customer = await createCompany(service.db, a.organizationId);
    await expect(insertOpportunity(service.db, where(), { customerId: customer.id, value: "-1" })).rejects.toThrow(/check constraint/);
    await expect(insertOpportunity(service.db, where(), { customerId: customer.id, currency: "usd" })).rejects.toThrow(/check constraint/);
    await expect(insertOpportunity(service.db, where(), { customerId: customer.id, probability: 101 })).rejects.toThrow(/check constraint/);
  });

  it("keeps USER emails unique in an organization, whatever their case", async () => {
    const email = "Twin@Example.com";
    await insertRow(service.db.manager, Person, { organizationId: a.organizationId, type: "USER" as never, email, firstName: "T" });
    await expect(
      insertRow(service.db.manager, Person, { organizationId: a.organizationId, type: "USER" as never, email: email.toLowerCase(), firstName: "U" }),
    ).rejects.toThrow(/duplicate key/);
  });
});
