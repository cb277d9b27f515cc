import { MigrationInterface, QueryRunner } from "typeorm";

/** Today's stages: every organization's to start with. (pipeline, key, label, color, description, sort_order, probability, is_won, is_lost) */
const DEFAULT_STAGES = `
  ('referral', 'lead',        'Lead',        '#3B82F6', 'A warm introduction has been proposed.',            1,  10, false, false),
  ('referral', 'introduced',  'Introduced',  '#8B5CF6', 'The seeker and the provider have been introduced.', 2,  30, false, false),
  ('referral', 'meeting',     'Meeting',     '#F59E0B', 'The parties have met.',                             3,  50, false, false),
  ('referral', 'won',         'Won',         '#10B981', 'The introduction turned into business.',            4, 100, true,  false),
  ('referral', 'lost',        'Lost',        '#EF4444', 'The introduction did not turn into business.',      5,   0, false, true),
  ('sales',    'lead',        'Lead',        '#3B82F6', 'A possible opportunity, not yet qualified.',        1,  10, false, false),
  ('sales',    'qualified',   'Qualified',   '#6366F1', 'Need, budget and timing are confirmed.',            2,  25, false, false),
  ('sales',    'survey',      'Survey',      '#8B5CF6', 'The site is being surveyed.',                       3,  40, false, false),
  ('sales',    'proposal',    'Proposal',    '#F59E0B', 'A proposal has been sent.',                         4,  60, false, false),
  ('sales',    'negotiation', 'Negotiation', '#F97316', 'Terms are being negotiated.',                       5,  80, false, false),
  ('sales',    'won',         'Won',         '#10B981', 'The customer signed.',                              6, 100, true,  false),
  ('sales',    'lost',        'Lost',        '#EF4444', 'The customer chose not to go ahead.',               7,   0, false, true)`;

/**
 * Stages of each organization's own. Until now `stage` held one REFERRAL and one SALES pipeline
 * shared by every organization. Now every organization has its copy (a new organization gets the
 * defaults from a trigger, so no way of making one can forget them), keyed like every other
 * table by (organization_id, id) so the table distributes by organization. Existing deals, their
 * history and their recorded events point to their organization's copy.
 *
 * A stage that is deleted stays as a row (the history and events that name it keep it) with
 * `deleted_at` set; a trigger refuses a deal entering a deleted stage or a stage of another
 * pipeline, locking the stage row (FOR SHARE) so a deal cannot slip into a stage whose deletion
 * is committing.
 */
export class OrganizationStages1764633600000 implements MigrationInterface {
  name = "OrganizationStages1764633600000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE stage
        ADD COLUMN organization_id uuid REFERENCES organization (id), ADD COLUMN deleted_at timestamptz,
        DROP CONSTRAINT stage_pipeline_key_key, DROP CONSTRAINT stage_pipeline_sort_order_key`);

    // Every organization's copy of every shared stage, under a new id.
    await q.query(`
      CREATE TEMPORARY TABLE stage_copy AS
      SELECT o.id AS organization_id, s.id AS shared_id, gen_random_uuid() AS id
        FROM organization o CROSS JOIN stage s`);
    await q.query(`
      INSERT INTO stage (organization_id, id, pipeline, key, label, color, description, sort_order, probability, is_won, is_lost)
      SELECT c.organization_id, c.id, s.pipeline, s.key, s.label, s.color, s.description, s.sort_order, s.probability, s.is_won, s.is_lost
        FROM stage_copy c JOIN stage s ON s.id = c.shared_id`);

    // Foreign keys to the shared stages go; their composite replacements come once rows point right.
    await q.query(`ALTER TABLE pipeline_deal DROP CONSTRAINT pipeline_deal_stage_id_fkey`);
    await q.query(`ALTER TABLE deal_stage_change DROP CONSTRAINT deal_stage_change_from_stage_id_fkey, DROP CONSTRAINT deal_stage_change_to_stage_id_fkey`);
    // Rewriting every deal's stage would update every index of the table, the search's trigram
    // index costliest: that one and the stage's go, and are built again after.
    await q.query(`DROP INDEX pipeline_deal_stage_idx, pipeline_deal_search_idx`);
    await q.query(`ALTER TABLE pipeline_deal DISABLE TRIGGER USER`);
    await q.query(`
      UPDATE pipeline_deal deal SET stage_id = c.id
        FROM stage_copy c
       WHERE c.organization_id = deal.organization_id AND c.shared_id = deal.stage_id`);
    await q.query(`ALTER TABLE pipeline_deal ENABLE TRIGGER USER`);
    await q.query(`
      UPDATE deal_stage_change change
         SET from_stage_id = (SELECT c.id FROM stage_copy c WHERE c.organization_id = change.organization_id AND c.shared_id = change.from_stage_id),
             to_stage_id = (SELECT c.id FROM stage_copy c WHERE c.organization_id = change.organization_id AND c.shared_id = change.to_stage_id)`);
    // Recorded events carry stage ids inside their deal and details documents.
    const shared: Array<{ id: string }> = await q.query(`SELECT DISTINCT shared_id AS id FROM stage_copy`);
    for (const { id } of shared) {
      await q.query(
        `UPDATE deal_event event
            SET deal = replace(event.deal::text, $1::text, c.id::text)::jsonb,
                details = replace(event.details::text, $1::text, c.id::text)::jsonb
           FROM stage_copy c
          WHERE c.organization_id = event.organization_id AND c.shared_id::text = $1::text
            AND (strpos(event.deal::text, $1::text) > 0 OR strpos(event.details::text, $1::text) > 0)`,
        [id],
      );
    }
    await q.query(`DROP TABLE stage_copy`);
    await q.query(`DELETE FROM stage WHERE organization_id IS NULL`);

    await q.query(`
      ALTER TABLE stage
        ALTER COLUMN organization_id SET NOT NULL,
        DROP CONSTRAINT stage_pkey,
        ADD PRIMARY KEY (organization_id, id),
        ADD CONSTRAINT stage_key_unique UNIQUE (organization_id, pipeline, key),
        ADD CONSTRAINT stage_key_check CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
        ADD CONSTRAINT stage_label_check CHECK (btrim(label) <> '' AND char_length(label) <= 60),
        ADD CONSTRAINT stage_description_check CHECK (char_length(description) <= 500)`);
    await q.query(`
      ALTER TABLE pipeline_deal
        ADD CONSTRAINT pipeline_deal_stage_fkey FOREIGN KEY (organization_id, stage_id) REFERENCES stage (organization_id, id)`);
    // A stage's deals newest first (a board column's page is an index scan with a limit), and the
    // foreign key's index; the search index back.
    await q.query(`CREATE INDEX pipeline_deal_stage_idx ON pipeline_deal (organization_id, stage_id, created_at, id)`);
    await q.query(`CREATE INDEX pipeline_deal_search_idx ON pipeline_deal USING gin (search_text gin_trgm_ops)`);
    await q.query(`
      ALTER TABLE deal_stage_change
        ADD CONSTRAINT deal_stage_change_from_stage_fkey FOREIGN KEY (organization_id, from_stage_id) REFERENCES stage (organization_id, id),
        ADD CONSTRAINT deal_stage_change_to_stage_fkey FOREIGN KEY (organization_id, to_stage_id) REFERENCES stage (organization_id, id)`);

    // New organizations get the default pipelines.
    await q.query(`
      CREATE FUNCTION organization_default_stages() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO stage (organization_id, pipeline, key, label, color, description, sort_order, probability, is_won, is_lost)
        SELECT NEW.id, d.* FROM (VALUES ${DEFAULT_STAGES}) AS d;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER organization_default_stages AFTER INSERT ON organization FOR EACH ROW EXECUTE FUNCTION organization_default_stages()`);

    // Every pipeline keeps exactly one won and one lost stage and at least one open one: checked
    // at commit, so a transaction may reshape a pipeline through states in between.
    await q.query(`
      CREATE FUNCTION stage_pipeline_shape() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE won int; lost int; open int;
      BEGIN
        SELECT count(*) FILTER (WHERE is_won), count(*) FILTER (WHERE is_lost), count(*) FILTER (WHERE NOT is_won AND NOT is_lost)
          INTO won, lost, open
          FROM stage WHERE organization_id = NEW.organization_id AND pipeline = NEW.pipeline AND deleted_at IS NULL;
        IF won <> 1 OR lost <> 1 OR open < 1 THEN
          RAISE EXCEPTION 'the % pipeline must keep exactly one won and one lost stage and at least one open stage', NEW.pipeline
            USING ERRCODE = 'check_violation', CONSTRAINT = 'stage_pipeline_shape';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER stage_pipeline_shape AFTER INSERT OR UPDATE ON stage
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stage_pipeline_shape()`);

    // A deal only ever enters a live stage of its own pipeline.
    await q.query(`
      CREATE FUNCTION pipeline_deal_stage_live() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.stage_id = OLD.stage_id THEN RETURN NEW; END IF;
        PERFORM 1 FROM stage
          WHERE organization_id = NEW.organization_id AND id = NEW.stage_id AND deleted_at IS NULL
            AND pipeline = CASE NEW.kind WHEN 'referral' THEN 'referral' ELSE 'sales' END
          FOR SHARE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'stage % is not a live stage of the deal''s pipeline', NEW.stage_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'pipeline_deal_stage_live';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER pipeline_deal_stage_live BEFORE INSERT OR UPDATE OF stage_id ON pipeline_deal
        FOR EACH ROW EXECUTE FUNCTION pipeline_deal_stage_live()`);
  }

  /**
   * Back to shared stages, mapped by pipeline and key. Refused when an organization has a stage
   * the defaults do not have, or a deleted one (its deals or history would have nowhere to go).
   * Recorded events keep the ids they were written with.
   */
  async down(q: QueryRunner): Promise<void> {
    const [custom] = await q.query(`
      SELECT count(*)::int AS n FROM stage
       WHERE deleted_at IS NOT NULL
          OR key NOT IN ('lead', 'introduced', 'meeting', 'won', 'lost', 'qualified', 'survey', 'proposal', 'negotiation')`);
    if (custom.n > 0) throw new Error("OrganizationStages1764633600000 cannot be undone: organizations have stages of their own.");
    // Checks of this transaction's stage writes still waiting for the commit run now: a table with
    // pending trigger events cannot be altered.
    await q.query(`SET CONSTRAINTS stage_pipeline_shape IMMEDIATE`);
    await q.query(`DROP TRIGGER pipeline_deal_stage_live ON pipeline_deal`);
    await q.query(`DROP FUNCTION pipeline_deal_stage_live()`);
    await q.query(`DROP TRIGGER stage_pipeline_shape ON stage`);
    await q.query(`DROP FUNCTION stage_pipeline_shape()`);
    await q.query(`DROP TRIGGER organization_default_stages ON organization`);
    await q.query(`DROP FUNCTION organization_default_stages()`);
    await q.query(`ALTER TABLE pipeline_deal DROP CONSTRAINT pipeline_deal_stage_fkey`);
    await q.query(`ALTER TABLE deal_stage_change DROP CONSTRAINT deal_stage_change_from_stage_fkey, DROP CONSTRAINT deal_stage_change_to_stage_fkey`);
    await q.query(`
      ALTER TABLE stage
        DROP CONSTRAINT stage_pkey, DROP CONSTRAINT stage_key_unique, DROP CONSTRAINT stage_key_check,
        DROP CONSTRAINT stage_label_check, DROP CONSTRAINT stage_description_check,
        ALTER COLUMN organization_id DROP NOT NULL`);
    await q.query(`
      INSERT INTO stage (pipeline, key, label, color, description, sort_order, probability, is_won, is_lost)
      VALUES ${DEFAULT_STAGES}`);
    await q.query(`
      CREATE TEMPORARY TABLE stage_copy AS
      SELECT own.organization_id, own.id, shared.id AS shared_id
        FROM stage own JOIN stage shared ON shared.organization_id IS NULL AND shared.pipeline = own.pipeline AND shared.key = own.key
       WHERE own.organization_id IS NOT NULL`);
    await q.query(`ALTER TABLE pipeline_deal DISABLE TRIGGER USER`);
    await q.query(`UPDATE pipeline_deal deal SET stage_id = c.shared_id FROM stage_copy c WHERE c.organization_id = deal.organization_id AND c.id = deal.stage_id`);
    await q.query(`ALTER TABLE pipeline_deal ENABLE TRIGGER USER`);
    await q.query(`
      UPDATE deal_stage_change change
         SET from_stage_id = (SELECT c.shared_id FROM stage_copy c WHERE c.organization_id = change.organization_id AND c.id = change.from_stage_id),
             to_stage_id = (SELECT c.shared_id FROM stage_copy c WHERE c.organization_id = change.organization_id AND c.id = change.to_stage_id)`);
    await q.query(`DROP TABLE stage_copy`);
    await q.query(`DELETE FROM stage WHERE organization_id IS NOT NULL`);
    await q.query(`
      ALTER TABLE stage
        DROP COLUMN organization_id, DROP COLUMN deleted_at,
        ADD PRIMARY KEY (id), ADD UNIQUE (pipeline, key), ADD UNIQUE (pipeline, sort_order)`);
    await q.query(`ALTER TABLE pipeline_deal ADD CONSTRAINT pipeline_deal_stage_id_fkey FOREIGN KEY (stage_id) REFERENCES stage (id)`);
    await q.query(`DROP INDEX pipeline_deal_stage_idx`);
    await q.query(`CREATE INDEX pipeline_deal_stage_idx ON pipeline_deal (stage_id)`);
    await q.query(`
      ALTER TABLE deal_stage_change
        ADD CONSTRAINT deal_stage_change_from_stage_id_fkey FOREIGN KEY (from_stage_id) REFERENCES stage (id),
        ADD CONSTRAINT deal_stage_change_to_stage_id_fkey FOREIGN KEY (to_stage_id) REFERENCES stage (id)`);
  }
}
