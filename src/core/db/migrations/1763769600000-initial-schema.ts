import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The whole first schema.
 *
 * Every tenant-owned table is keyed by (organization_id, id) and every foreign key between
 * them includes organization_id: a row can never point at another organization's row, and
 * each table can be distributed by organization_id on Citus as it stands. `stage` is global
 * reference data (a Citus reference table). `api_key` is looked up by hash before the tenant
 * is known, so it is keyed by id alone and would be a reference table too.
 */
export class InitialSchema1763769600000 implements MigrationInterface {
  name = "InitialSchema1763769600000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organization (
        id          uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        name        text        NOT NULL CHECK (btrim(name) <> ''),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE workspace (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        name            text        NOT NULL CHECK (btrim(name) <> ''),
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id)
      )`);

    await q.query(`
      CREATE TABLE company (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        name            text        NOT NULL CHECK (btrim(name) <> ''),
        domain          text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id)
      )`);
    await q.query(`CREATE INDEX company_name_idx ON company (organization_id, lower(name), id)`);

    await q.query(`
      CREATE TABLE person (
        organization_id      uuid        NOT NULL REFERENCES organization (id),
        id                   uuid        NOT NULL DEFAULT gen_random_uuid(),
        type                 text        NOT NULL CHECK (type IN ('USER', 'CONTACT')),
        first_name           text,
        last_name            text,
        name                 text,
        email                text,
        company_id           uuid,
        referred_by_id       uuid,
        default_workspace_id uuid,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        FOREIGN KEY (organization_id, company_id) REFERENCES company (organization_id, id),
        FOREIGN KEY (organization_id, referred_by_id) REFERENCES person (organization_id, id),
        FOREIGN KEY (organization_id, default_workspace_id) REFERENCES workspace (organization_id, id),
        CHECK (referred_by_id IS NULL OR referred_by_id <> id),
        CHECK (type <> 'USER' OR email IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX person_company_idx ON person (organization_id, company_id)`);
    await q.query(`CREATE INDEX person_referred_by_idx ON person (organization_id, referred_by_id)`);
    await q.query(`CREATE INDEX person_default_workspace_idx ON person (organization_id, default_workspace_id)`);
    await q.query(`CREATE INDEX person_created_idx ON person (organization_id, created_at, id)`);
    await q.query(`CREATE UNIQUE INDEX person_user_email_key ON person (organization_id, lower(email)) WHERE type = 'USER'`);

    await q.query(`
      CREATE TABLE workspace_membership (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        workspace_id    uuid        NOT NULL,
        user_id         uuid        NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        UNIQUE (organization_id, workspace_id, user_id),
        FOREIGN KEY (organization_id, workspace_id) REFERENCES workspace (organization_id, id),
        FOREIGN KEY (organization_id, user_id) REFERENCES person (organization_id, id)
      )`);
    await q.query(`CREATE INDEX workspace_membership_user_idx ON workspace_membership (organization_id, user_id)`);

    await q.query(`
      CREATE TABLE product (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        name            text        NOT NULL CHECK (btrim(name) <> ''),
        description     text,
        company_id      uuid,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        FOREIGN KEY (organization_id, company_id) REFERENCES company (organization_id, id)
      )`);
    await q.query(`CREATE INDEX product_company_idx ON product (organization_id, company_id)`);

    await q.query(`
      CREATE TABLE site (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        company_id      uuid        NOT NULL,
        name            text        NOT NULL CHECK (btrim(name) <> ''),
        address         text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        UNIQUE (organization_id, company_id, id),
        FOREIGN KEY (organization_id, company_id) REFERENCES company (organization_id, id)
      )`);

    await q.query(`
      CREATE TABLE stage (
        id           uuid    NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        pipeline     text    NOT NULL CHECK (pipeline IN ('referral', 'sales')),
        key          text    NOT NULL,
        label        text    NOT NULL,
        color        text    NOT NULL CHECK (color ~ '^#[0-9A-F]{6}$'),
        description  text,
        sort_order   integer NOT NULL,
        probability  integer NOT NULL CHECK (probability BETWEEN 0 AND 100),
        is_won       boolean NOT NULL DEFAULT false,
        is_lost      boolean NOT NULL DEFAULT false,
        UNIQUE (pipeline, key),
        UNIQUE (pipeline, sort_order),
        CHECK (NOT (is_won AND is_lost))
      )`);
    await q.query(`
      INSERT INTO stage (pipeline, key, label, color, description, sort_order, probability, is_won, is_lost) VALUES
        ('referral', 'lead',        'Lead',        '#3B82F6', 'A warm introduction has been proposed.',         1,  10, false, false),
        ('referral', 'introduced',  'Introduced',  '#8B5CF6', 'The seeker and the provider have been introduced.', 2,  30, false, false),
        ('referral', 'meeting',     'Meeting',     '#F59E0B', 'The parties have met.',                          3,  50, false, false),
        ('referral', 'won',         'Won',         '#10B981', 'The introduction turned into business.',         4, 100, true,  false),
        ('referral', 'lost',        'Lost',        '#EF4444', 'The introduction did not turn into business.',   5,   0, false, true),
        ('sales',    'lead',        'Lead',        '#3B82F6', 'A possible opportunity, not yet qualified.',     1,  10, false, false),
        ('sales',    'qualified',   'Qualified',   '#6366F1', 'Need, budget and timing are confirmed.',         2,  25, false, false),
        ('sales',    'survey',      'Survey',      '#8B5CF6', 'The site is being surveyed.',                    3,  40, false, false),
        ('sales',    'proposal',    'Proposal',    '#F59E0B', 'A proposal has been sent.',                      4,  60, false, false),
        ('sales',    'negotiation', 'Negotiation', '#F97316', 'Terms are being negotiated.',                    5,  80, false, false),
        ('sales',    'won',         'Won',         '#10B981', 'The customer signed.',                           6, 100, true,  false),
        ('sales',    'lost',        'Lost',        '#EF4444', 'The customer chose not to go ahead.',            7,   0, false, true)
    `);

    await q.query(`
      CREATE TABLE pipeline_deal (
        organization_id        uuid          NOT NULL REFERENCES organization (id),
        id                     uuid          NOT NULL DEFAULT gen_random_uuid(),
        kind                   text          NOT NULL CHECK (kind IN ('referral', 'opportunity')),
        name                   text          NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 200),
        description            text          CHECK (char_length(description) <= 5000),
        value                  numeric(19,4) CHECK (value >= 0),
        currency               char(3)       NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
        stage_id               uuid          NOT NULL REFERENCES stage (id),
        owner_id               uuid          NOT NULL,
        workspace_id           uuid          NOT NULL,
        visibility_mode        text          NOT NULL DEFAULT 'workspace_local'
                                             CHECK (visibility_mode IN ('global', 'workspace_local', 'shared')),
        -- referral opportunity
        seeker_id              uuid,
        provider_id            uuid,
        connector_id           uuid,
        product_id             uuid,
        -- sales opportunity
        customer_id            uuid,
        primary_contact_id     uuid,
        site_id                uuid,
        pipeline_type          text CHECK (pipeline_type IN ('new_construction', 'retrofit', 'service_agreement', 'expansion', 'other')),
        source                 text CHECK (source IN ('referral', 'website', 'cold_call', 'existing_customer', 'partner', 'trade_show', 'portal_request', 'other')),
        expected_close_date    timestamptz,
        probability            smallint CHECK (probability BETWEEN 0 AND 100),
        solution_families      text[],
        scope_summary          text CHECK (char_length(scope_summary) <= 5000),
        competitor_notes       text CHECK (char_length(competitor_notes) <= 5000),
        win_loss_reason        text CHECK (char_length(win_loss_reason) <= 5000),
        next_step_description  text CHECK (char_length(next_step_description) <= 5000),
        next_step_date         timestamptz,
        bid_due_date           timestamptz,
        budget_confirmed       boolean,
        priority               text CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
        lost_reason_category   text CHECK (lost_reason_category IN ('price', 'timing', 'competitor', 'scope_mismatch', 'no_decision', 'relationship', 'other')),
        technical_requirements text CHECK (char_length(technical_requirements) <= 5000),
        created_at             timestamptz   NOT NULL DEFAULT now(),
        updated_at             timestamptz   NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        FOREIGN KEY (organization_id, owner_id)           REFERENCES person (organization_id, id),
        FOREIGN KEY (organization_id, workspace_id)       REFERENCES workspace (organization_id, id),
        FOREIGN KEY (organization_id, seeker_id)          REFERENCES person (organization_id, id),
        FOREIGN KEY (organization_id, provider_id)        REFERENCES person (organization_id, id),
        FOREIGN KEY (organization_id, connector_id)       REFERENCES person (organization_id, id),
        FOREIGN KEY (organization_id, product_id)         REFERENCES product (organization_id, id),
        FOREIGN KEY (organization_id, customer_id)        REFERENCES company (organization_id, id),
        FOREIGN KEY (organization_id, primary_contact_id) REFERENCES person (organization_id, id),
        FOREIGN KEY (organization_id, customer_id, site_id) REFERENCES site (organization_id, company_id, id),
        CHECK (kind <> 'referral' OR (
          seeker_id IS NOT NULL AND provider_id IS NOT NULL AND connector_id IS NOT NULL
          AND seeker_id <> provider_id AND seeker_id <> connector_id AND provider_id <> connector_id
          AND customer_id IS NULL AND site_id IS NULL)),
        CHECK (kind <> 'opportunity' OR (
          customer_id IS NOT NULL AND pipeline_type IS NOT NULL AND probability IS NOT NULL
          AND budget_confirmed IS NOT NULL AND seeker_id IS NULL AND provider_id IS NULL)),
        CHECK (cardinality(solution_families) <= 50)
      )`);
    const dealIndexes: Array<[string, string]> = [
      ["pipeline_deal_list_created_idx", "kind, created_at, id"],
      ["pipeline_deal_workspace_idx", "workspace_id"],
      ["pipeline_deal_owner_idx", "owner_id"],
      ["pipeline_deal_stage_idx", "stage_id"],
      ["pipeline_deal_seeker_idx", "seeker_id"],
      ["pipeline_deal_provider_idx", "provider_id"],
      ["pipeline_deal_connector_idx", "connector_id"],
      ["pipeline_deal_product_idx", "product_id"],
      ["pipeline_deal_customer_idx", "customer_id"],
      ["pipeline_deal_primary_contact_idx", "primary_contact_id"],
      ["pipeline_deal_site_idx", "customer_id, site_id"],
    ];
    for (const [name, columns] of dealIndexes) {
      await q.query(`CREATE INDEX ${name} ON pipeline_deal (organization_id, ${columns})`);
    }

    await q.query(`
      CREATE TABLE pipeline_deal_facilitator (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        id              uuid        NOT NULL DEFAULT gen_random_uuid(),
        deal_id         uuid        NOT NULL,
        person_id       uuid        NOT NULL,
        company_id      uuid,
        role            text        NOT NULL CHECK (role IN ('connector', 'referral_source')),
        side            text        NOT NULL CHECK (side IN ('seeker', 'provider')),
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        CONSTRAINT pipeline_deal_facilitator_once_per_side UNIQUE (organization_id, deal_id, side, person_id),
        FOREIGN KEY (organization_id, deal_id) REFERENCES pipeline_deal (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, person_id) REFERENCES person (organization_id, id),
        FOREIGN KEY (organization_id, company_id) REFERENCES company (organization_id, id)
      )`);
    await q.query(`CREATE INDEX pipeline_deal_facilitator_person_idx ON pipeline_deal_facilitator (organization_id, person_id)`);
    await q.query(`CREATE INDEX pipeline_deal_facilitator_company_idx ON pipeline_deal_facilitator (organization_id, company_id)`);

    await q.query(`
      CREATE TABLE pipeline_deal_share (
        organization_id uuid        NOT NULL REFERENCES organization (id),
        deal_id         uuid        NOT NULL,
        workspace_id    uuid        NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, deal_id, workspace_id),
        FOREIGN KEY (organization_id, deal_id) REFERENCES pipeline_deal (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, workspace_id) REFERENCES workspace (organization_id, id)
      )`);
    await q.query(`CREATE INDEX pipeline_deal_share_workspace_idx ON pipeline_deal_share (organization_id, workspace_id)`);

    await q.query(`
      CREATE TABLE api_key (
        id              uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        organization_id uuid        NOT NULL REFERENCES organization (id),
        user_id         uuid        NOT NULL,
        prefix          text        NOT NULL,
        key_hash        bytea       NOT NULL UNIQUE,
        expires_at      timestamptz NOT NULL,
        revoked_at      timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (organization_id, user_id) REFERENCES person (organization_id, id)
      )`);
    await q.query(`CREATE INDEX api_key_user_idx ON api_key (organization_id, user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      "api_key",
      "pipeline_deal_share",
      "pipeline_deal_facilitator",
      "pipeline_deal",
      "stage",
      "site",
      "product",
      "workspace_membership",
      "person",
      "company",
      "workspace",
      "organization",
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
