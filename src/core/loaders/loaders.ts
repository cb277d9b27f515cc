import { EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { Company } from "../../modules/company/company.entity";
import { DealShare } from "../../modules/deal/deal-share.entity";
import { ANY_DEAL_RELATIONS, selectDealColumns } from "../../modules/deal/deal.relations";
import { DealStageChange } from "../../modules/deal/deal-stage-change.entity";
import { Facilitator } from "../../modules/deal/facilitator.entity";
import { PipelineDeal } from "../../modules/deal/pipeline-deal.entity";
import { whereVisibleTo } from "../../modules/deal/visibility";
import { Organization } from "../../modules/organization/organization.entity";
import { Person } from "../../modules/person/person.entity";
import { peopleWithEmployers } from "../../modules/person/person.queries";
import { Product } from "../../modules/product/product.entity";
import { Site } from "../../modules/site/site.entity";
import { Stage } from "../../modules/stage/stage.entity";
import { WebhookAttempt } from "../../modules/webhook/webhook.entities";
import { Workspace } from "../../modules/workspace/workspace.entity";
import { Viewer } from "../auth/viewer";
import { entitiesFromRaw, entityFromRaw } from "../db/hydrate";
import { selectWithExtras } from "../db/with-extras";
import { Loader } from "./loader";
import { facilitatorsOf, primeRelated, primeRelatedRows, relatedExtra, relatedSql } from "./related";

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * A fresh set of loaders for every request: each batches the lookups of one tick into one
 * statement and caches them for the rest of the request. Every loader is scoped to the
 * viewer's organization, so another organization's ids come back as null: not found.
 */
export function createLoaders(db: EntityManager, viewer: Viewer) {
  const organizationId = viewer.organizationId;

  const company = byId(db, Company, organizationId);

  /** People come with their employer, which primes `company`: Person.company costs nothing more. */
  const person = new Loader<Person | null>(async (ids) => {
    const qb = peopleWithEmployers(db, organizationId).andWhere("person.id = ANY(:ids)", { ids });
    const rows = await qb.getRawMany();
    for (const row of rows) primeEmployer(qb, row);
    return inKeyOrder(ids, entitiesFromRaw<Person>(qb, rows));
  }, null);

  /**
   * For every query that joins people to their employer as `company`: primes the employer, so
   * Person.company costs nothing more.
   */
  function primeEmployer(qb: SelectQueryBuilder<ObjectLiteral>, row: Record<string, unknown>): void {
    const employer = entityFromRaw<Company>(qb, row, "company");
    if (employer) company.prime(employer.id, employer);
  }

  /**
   * A deal's facilitators come with the person and employer each refers to, read as a page reads
   * them (related.ts): for deals not read through a page, such as the board's.
   */
  const facilitatorsByDeal = new Loader<Facilitator[]>(async (dealIds) => {
    const [{ related }] = await db.query(
      `WITH main AS (SELECT $1::uuid AS deal_organization_id, id AS deal_id FROM unnest($2::uuid[]) AS id)
       SELECT ${relatedSql(db.connection, { facilitators: true }, "deal")} AS related`,
      [organizationId, dealIds],
    );
    primeRelatedRows(loaders, db.connection, related);
    const byDeal = facilitatorsOf(db.connection, related, dealIds)!;
    return dealIds.map((id) => byDeal.get(id)!);
  }, []);

  /**
   * Only deals the viewer may see: the others come back as null, exactly like missing ones. The
   * same statement brings each deal's parties, owner, workspace, stage, product, site and
   * facilitators and primes their loaders, so a deal read by id costs one statement (and one per
   * other to-many field: history, shares).
   */
  const deal = new Loader<PipelineDeal | null>(async (ids) => {
    // One id (a deal by id) is its own text, `= $1`, whose plan is the lookup of one row; many are
    // ANY($1), planned for ten. Both plans are kept per connection (plan_cache_mode, see
    // data-source.ts): 0.3 ms instead of 1.8 ms planned at each run.
    const qb = selectDealColumns(db.getRepository(PipelineDeal).createQueryBuilder("deal")).where(
      ids.length === 1 ? "deal.id = :id" : "deal.id = ANY(:ids)",
      ids.length === 1 ? { id: ids[0] } : { ids },
    );
    const found = await selectWithExtras(db, whereVisibleTo(qb, "deal", viewer), [relatedExtra(db.connection, ANY_DEAL_RELATIONS, "deal")], { prepare: true });
    const deals = entitiesFromRaw<PipelineDeal>(qb, found.rows);
    primeRelated(loaders, db.connection, found.extras.related, deals.map((deal) => deal.id));
    return inKeyOrder(ids, deals);
  }, null);

  const workspace = byId(db, Workspace, organizationId);

  /** The workspaces each deal is shared with, by name; primes `workspace`. */
  const sharedWorkspacesByDeal = new Loader<Workspace[]>(async (dealIds) => {
    const qb = db
      .getRepository(DealShare)
      .createQueryBuilder("share")
      .innerJoinAndMapOne(
        "share.workspace",
        Workspace,
        "workspace",
        "workspace.organization_id = share.organization_id AND workspace.id = share.workspace_id",
      )
      .where("share.organization_id = :organizationId AND share.deal_id = ANY(:dealIds)", { organizationId, dealIds })
      .orderBy("workspace.name")
      .addOrderBy("workspace.id");
    const byDeal = new Map<string, Workspace[]>();
    for (const row of await qb.getRawMany()) {
      const share = entityFromRaw<DealShare>(qb, row)!;
      const shared = entityFromRaw<Workspace>(qb, row, "workspace")!;
      workspace.prime(shared.id, shared);
      byDeal.set(share.dealId, [...(byDeal.get(share.dealId) ?? []), shared]);
    }
    return dealIds.map((id) => byDeal.get(id) ?? []);
  }, []);

  /**
   * Each deal's stage history, oldest first, with the time spent in each stage it left: one
   * statement for every deal of a page.
   */
  const stageHistoryByDeal = new Loader<DealStageChange[]>(async (dealIds) => {
    const qb = db
      .getRepository(DealStageChange)
      .createQueryBuilder("change")
      .addSelect(
        `extract(epoch FROM change.changed_at - lag(change.changed_at) OVER (PARTITION BY change.deal_id ORDER BY change.changed_at, change.id))::float8`,
        "seconds_in_from_stage",
      )
      .where("change.organization_id = :organizationId AND change.deal_id = ANY(:dealIds)", { organizationId, dealIds })
      .orderBy("change.changed_at")
      .addOrderBy("change.id");
    // Who made each change and the stages it names come in the same statement (with their
    // employers), priming their loaders: the history as an answer shows them.
    const related = relatedExtra(db.connection, { person: ["changed_by_id"], stage: ["from_stage_id", "to_stage_id"] }, "change");
    const found = await selectWithExtras(db, qb, [related], { order: "change.changed_at, change.id" });
    primeRelatedRows(loaders, db.connection, found.extras.related);
    const byDeal = new Map<string, DealStageChange[]>();
    for (const row of found.rows) {
      const change = entityFromRaw<DealStageChange>(qb, row)!;
      change.secondsInFromStage = row.seconds_in_from_stage as number | null;
      byDeal.set(change.dealId, [...(byDeal.get(change.dealId) ?? []), change]);
    }
    return dealIds.map((id) => byDeal.get(id) ?? []);
  }, []);

  const site = byId(db, Site, organizationId);

  /** Each company's sites, by name; primes `site`. */
  const sitesByCompany = new Loader<Site[]>(async (companyIds) => {
    const qb = db
      .getRepository(Site)
      .createQueryBuilder("site")
      .where("site.organization_id = :organizationId AND site.company_id = ANY(:companyIds)", { organizationId, companyIds })
      .orderBy("lower(site.name)")
      .addOrderBy("site.id");
    const byCompany = new Map<string, Site[]>();
    for (const found of entitiesFromRaw<Site>(qb, await qb.getRawMany())) {
      site.prime(found.id, found);
      byCompany.set(found.companyId, [...(byCompany.get(found.companyId) ?? []), found]);
    }
    return companyIds.map((id) => byCompany.get(id) ?? []);
  }, []);

  /** Each webhook delivery's attempts, oldest first: one statement for a whole list of deliveries. */
  const webhookAttemptsByDelivery = new Loader<WebhookAttempt[]>(async (deliveryIds) => {
    const qb = db
      .getRepository(WebhookAttempt)
      .createQueryBuilder("attempt")
      .where("attempt.organization_id = :organizationId AND attempt.delivery_id = ANY(:deliveryIds)", { organizationId, deliveryIds })
      .orderBy("attempt.attempted_at")
      .addOrderBy("attempt.id");
    const byDelivery = new Map<string, WebhookAttempt[]>();
    for (const attempt of entitiesFromRaw<WebhookAttempt>(qb, await qb.getRawMany())) {
      byDelivery.set(attempt.deliveryId, [...(byDelivery.get(attempt.deliveryId) ?? []), attempt]);
    }
    return deliveryIds.map((id) => byDelivery.get(id) ?? []);
  }, []);

  const loaders = {
    organization: byId(db, Organization),
    workspace,
    person,
    primeEmployer,
    company,
    product: byId(db, Product, organizationId),
    site,
    sitesByCompany,
    stage: byId(db, Stage, organizationId),
    deal,
    facilitatorsByDeal,
    sharedWorkspacesByDeal,
    stageHistoryByDeal,
    webhookAttemptsByDelivery,
    /** Takes over what the loaders of a committed unit of work know (see unit-of-work.ts). */
    adopt(committed: object): void {
      const theirs = committed as Record<string, unknown>;
      for (const [name, loader] of Object.entries(loaders) as Array<[string, unknown]>) {
        if (loader instanceof Loader) loader.adopt(theirs[name] as Loader<unknown>);
      }
    },
  };
  return loaders;
}

/** A loader of `entity` rows by id, in one organization (or global reference data when none is given). */
function byId<T extends ObjectLiteral & { id: string }>(db: EntityManager, entity: EntityTarget<T>, organizationId?: string) {
  return new Loader<T | null>(async (ids) => {
    const qb = db.getRepository(entity).createQueryBuilder("row").where("row.id = ANY(:ids)", { ids });
    if (organizationId) qb.andWhere("row.organization_id = :organizationId", { organizationId });
    return inKeyOrder(ids, entitiesFromRaw<T>(qb, await qb.getRawMany()));
  }, null);
}

function inKeyOrder<T extends { id: string }>(ids: readonly string[], rows: T[]): Array<T | null> {
  const byKey = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byKey.get(id) ?? null);
}
