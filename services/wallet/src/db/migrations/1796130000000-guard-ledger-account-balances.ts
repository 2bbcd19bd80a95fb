import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user account's balance row is derived from its postings (ledger_apply_posting), so the app
 * must not be able to write it any other way: a balance set by hand would be money no posting
 * explains. The app's role keeps UPDATE on ledger_accounts (it row-locks them FOR UPDATE), so a
 * trigger guards the row instead: an account opens at zero, its identity never changes, its
 * balance moves only from inside the posting trigger (trigger depth 2), and it is never deleted
 * or truncated. Like the ledger's other triggers, only the owner could disable it.
 */
export class GuardLedgerAccountBalances1796130000000 implements MigrationInterface {
  name = 'GuardLedgerAccountBalances1796130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_guard_account() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'ledger_accounts keeps every account: DELETE refused'
            USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'INSERT' THEN
          IF NEW.balance_cents IS DISTINCT FROM 0 AND NEW.balance_cents IS NOT NULL THEN
            RAISE EXCEPTION 'ledger account % must open with a zero balance', NEW.id
              USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END IF;
        IF (NEW.id, NEW.owner_id, NEW.kind, NEW.currency, NEW.created_at)
           IS DISTINCT FROM (OLD.id, OLD.owner_id, OLD.kind, OLD.currency, OLD.created_at) THEN
          RAISE EXCEPTION 'ledger account % keeps its owner, kind and currency', OLD.id
            USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.balance_cents IS DISTINCT FROM OLD.balance_cents AND pg_trigger_depth() < 2 THEN
          RAISE EXCEPTION 'the balance of ledger account % moves only by postings', OLD.id
            USING ERRCODE = 'restrict_violation',
                  HINT = 'post a balanced ledger transaction';
        END IF;
        RETURN NEW;
      END $$;

      CREATE TRIGGER ledger_accounts_guarded BEFORE INSERT OR UPDATE OR DELETE ON ledger_accounts
        FOR EACH ROW EXECUTE FUNCTION ledger_guard_account();
      CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

      DO $$ DECLARE target record; BEGIN
        FOR target IN
          SELECT DISTINCT coalesce(r.rolname, 'PUBLIC') AS grantee
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL aclexplode(c.relacl) a
            LEFT JOIN pg_roles r ON r.oid = a.grantee
           WHERE n.nspname = current_schema() AND c.relname = 'ledger_accounts'
             AND a.grantee <> c.relowner
        LOOP
          EXECUTE format('REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON ledger_accounts FROM %s',
            CASE WHEN target.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(target.grantee) END);
        END LOOP;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER ledger_accounts_no_truncate ON ledger_accounts;
      DROP TRIGGER ledger_accounts_guarded ON ledger_accounts;
      DROP FUNCTION ledger_guard_account();
    `);
  }
}
