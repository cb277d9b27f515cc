import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Deal search: every deal carries `search_text`, its name with the names of its parties (seeker,
 * provider, connector; customer, primary contact) and their employers, in lower case without
 * accents, kept by a trigger on every insert and on any change of those columns, and indexed by
 * trigrams so a word anywhere in it is found without a scan. pg_trgm and unaccent are trusted
 * extensions (PostgreSQL 13+) and ship with the embedded database too.
 */
export class DealSearch1764288000000 implements MigrationInterface {
  name = "DealSearch1764288000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
    // unaccent() is only STABLE (its dictionary could change); naming the dictionary makes the
    // result depend on the text alone, which an index expression and a trigger need.
    await q.query(`
      CREATE FUNCTION search_words(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $$ SELECT lower(unaccent('unaccent'::regdictionary, $1)) $$`);
    await q.query(`
      CREATE FUNCTION deal_search_text(deal pipeline_deal) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT search_words(concat_ws(' ', deal.name,
          (SELECT string_agg(concat_ws(' ', p.name, p.first_name, p.last_name, c.name), ' ')
             FROM person p LEFT JOIN company c ON c.organization_id = p.organization_id AND c.id = p.company_id
            WHERE p.organization_id = deal.organization_id
              AND p.id IN (deal.seeker_id, deal.provider_id, deal.connector_id, deal.primary_contact_id)),
          (SELECT c.name FROM company c WHERE c.organization_id = deal.organization_id AND c.id = deal.customer_id)))
      $$`);
    await q.query(`
      CREATE FUNCTION deal_search_text_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.search_text := deal_search_text(NEW);
        RETURN NEW;
      END $$`);
    await q.query(`ALTER TABLE pipeline_deal ADD COLUMN search_text text`);
    await q.query(`UPDATE pipeline_deal deal SET search_text = deal_search_text(deal)`);
    await q.query(`ALTER TABLE pipeline_deal ALTER COLUMN search_text SET NOT NULL`);
    await q.query(`
      CREATE TRIGGER pipeline_deal_search_text
        BEFORE INSERT OR UPDATE OF name, seeker_id, provider_id, connector_id, customer_id, primary_contact_id ON pipeline_deal
        FOR EACH ROW EXECUTE FUNCTION deal_search_text_trigger()`);
    await q.query(`CREATE INDEX pipeline_deal_search_idx ON pipeline_deal USING gin (search_text gin_trgm_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX pipeline_deal_search_idx`);
    await q.query(`DROP TRIGGER pipeline_deal_search_text ON pipeline_deal`);
    await q.query(`ALTER TABLE pipeline_deal DROP COLUMN search_text`);
    await q.query(`DROP FUNCTION deal_search_text_trigger()`);
    await q.query(`DROP FUNCTION deal_search_text(pipeline_deal)`);
    await q.query(`DROP FUNCTION search_words(text)`);
  }
}
