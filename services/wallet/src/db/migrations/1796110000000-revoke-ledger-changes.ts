import { MigrationInterface, QueryRunner } from 'typeorm';

const LEDGER_TABLES = ['ledger_postings', 'ledger_transactions'];

/**
 * The ledger is append-only for the app, by grant and not only by trigger: every role but the
 * owner (the app's runtime role, whatever its name) keeps SELECT and INSERT on postings and
 * transactions and loses anything else. Only the owner, which runs migrations, could alter the
 * tables or their triggers.
 */
export class RevokeLedgerChanges1796110000000 implements MigrationInterface {
  name = 'RevokeLedgerChanges1796110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ DECLARE target record; BEGIN
        FOR target IN
          SELECT DISTINCT c.relname AS tbl, coalesce(r.rolname, 'PUBLIC') AS grantee
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL aclexplode(c.relacl) a
            LEFT JOIN pg_roles r ON r.oid = a.grantee
           WHERE n.nspname = current_schema()
             AND c.relname = ANY (ARRAY['${LEDGER_TABLES.join("','")}'])
             AND a.grantee <> c.relowner
        LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %I FROM %s',
            target.tbl,
            CASE WHEN target.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE quote_ident(target.grantee) END);
        END LOOP;
      END $$;
    `);
  }

  async down(): Promise<void> {
    // Giving the app back UPDATE or DELETE on the ledger is never wanted; nothing to undo.
  }
}
