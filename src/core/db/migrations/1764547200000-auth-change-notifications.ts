import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * NOTIFY auth_changed, with the organization's id, when what an API key of the organization
 * resolves to changes (core/auth/auth-cache.ts): a key revoked, deleted, or given another
 * expiry, hash or owner; a user's role, type or default workspace changed, or the user deleted;
 * a workspace membership added, removed or changed. Every writer is covered, the CLI in another
 * process and SQL typed by hand included; PostgreSQL sends the notification at COMMIT (never for
 * a rollback), once per organization and transaction however many rows changed. Updates that
 * change none of those columns (a name, an email) notify nothing. A TRUNCATE says "*": every
 * organization.
 */
export class AuthChangeNotifications1764547200000 implements MigrationInterface {
  name = "AuthChangeNotifications1764547200000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
          PERFORM pg_notify('auth_changed', '*');
          RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('auth_changed', OLD.organization_id::text); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('auth_changed', NEW.organization_id::text); END IF;
        RETURN NULL;
      END $$`);
    // The columns are compared in the functions, not in WHEN clauses, so that no column depends
    // on these triggers (a migration may drop and add one back).
    await q.query(`
      CREATE FUNCTION notify_api_key_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (OLD.revoked_at, OLD.expires_at, OLD.key_hash, OLD.user_id, OLD.organization_id)
           IS DISTINCT FROM (NEW.revoked_at, NEW.expires_at, NEW.key_hash, NEW.user_id, NEW.organization_id) THEN
          PERFORM pg_notify('auth_changed', OLD.organization_id::text);
          PERFORM pg_notify('auth_changed', NEW.organization_id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION notify_person_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (OLD.role, OLD.type, OLD.default_workspace_id, OLD.id, OLD.organization_id)
           IS DISTINCT FROM (NEW.role, NEW.type, NEW.default_workspace_id, NEW.id, NEW.organization_id) THEN
          PERFORM pg_notify('auth_changed', OLD.organization_id::text);
          PERFORM pg_notify('auth_changed', NEW.organization_id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER api_key_auth_changed AFTER UPDATE ON api_key FOR EACH ROW EXECUTE FUNCTION notify_api_key_auth_changed()`);
    await q.query(`CREATE TRIGGER api_key_auth_removed AFTER DELETE ON api_key FOR EACH ROW EXECUTE FUNCTION notify_auth_changed()`);
    await q.query(`CREATE TRIGGER person_auth_changed AFTER UPDATE ON person FOR EACH ROW EXECUTE FUNCTION notify_person_auth_changed()`);
    await q.query(`CREATE TRIGGER person_auth_removed AFTER DELETE ON person FOR EACH ROW EXECUTE FUNCTION notify_auth_changed()`);
    await q.query(`
      CREATE TRIGGER workspace_membership_auth_changed AFTER INSERT OR DELETE ON workspace_membership FOR EACH ROW
        EXECUTE FUNCTION notify_auth_changed()`);
    await q.query(`
      CREATE TRIGGER workspace_membership_auth_moved AFTER UPDATE ON workspace_membership FOR EACH ROW
        WHEN (OLD.* IS DISTINCT FROM NEW.*)
        EXECUTE FUNCTION notify_auth_changed()`);
    for (const table of ["api_key", "person", "workspace_membership"]) {
      await q.query(`CREATE TRIGGER ${table}_auth_truncated AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, triggers] of [
      ["api_key", ["auth_changed", "auth_removed", "auth_truncated"]],
      ["person", ["auth_changed", "auth_removed", "auth_truncated"]],
      ["workspace_membership", ["auth_changed", "auth_moved", "auth_truncated"]],
    ] as const) {
      for (const trigger of triggers) await q.query(`DROP TRIGGER ${table}_${trigger} ON ${table}`);
    }
    await q.query(`DROP FUNCTION notify_auth_changed()`);
    await q.query(`DROP FUNCTION notify_api_key_auth_changed()`);
    await q.query(`DROP FUNCTION notify_person_auth_changed()`);
  }
}
