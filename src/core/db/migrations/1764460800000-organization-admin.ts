import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Organization roles: every USER is an ADMIN or a MEMBER of their organization; what only admins
 * may do (manage webhook endpoints, and later shape pipelines) checks it. A USER written without
 * a role is a member (a trigger fills it in, so no insert can forget it); contacts have none.
 * Existing organizations: the first user, the one the bootstrap made, is the admin.
 */
export class OrganizationAdmin1764460800000 implements MigrationInterface {
  name = "OrganizationAdmin1764460800000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE person ADD COLUMN role text
        CONSTRAINT person_role_check CHECK (role IN ('admin', 'member'))`);
    await q.query(`
      UPDATE person SET role = CASE WHEN person.id = first.id THEN 'admin' ELSE 'member' END
        FROM (SELECT DISTINCT ON (organization_id) organization_id, id FROM person
               WHERE type = 'USER' ORDER BY organization_id, created_at, id) AS first
       WHERE person.type = 'USER' AND first.organization_id = person.organization_id`);
    await q.query(`ALTER TABLE person ADD CONSTRAINT person_role_of_users CHECK ((type = 'USER') = (role IS NOT NULL))`);
    await q.query(`
      CREATE FUNCTION person_default_role() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type = 'USER' AND NEW.role IS NULL THEN NEW.role := 'member'; END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER person_default_role BEFORE INSERT ON person FOR EACH ROW EXECUTE FUNCTION person_default_role()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER person_default_role ON person`);
    await q.query(`DROP FUNCTION person_default_role()`);
    await q.query(`ALTER TABLE person DROP COLUMN role`);
  }
}
