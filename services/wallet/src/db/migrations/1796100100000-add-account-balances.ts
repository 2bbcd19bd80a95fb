import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each user account keeps its balance in its row, moved by a trigger on every posting, so it
 * changes in the posting's transaction whatever code wrote the posting; reading it is one row.
 * The row's CHECKs are the last guard of the bounds: credit never below zero, debt never above.
 * Platform accounts keep none: every reward would otherwise queue on one hot row.
 */
export class AddAccountBalances1796100100000 implements MigrationInterface {
  name = 'AddAccountBalances1796100100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_accounts ADD COLUMN balance_cents bigint;
      UPDATE ledger_accounts a
         SET balance_cents = (SELECT coalesce(sum(p.amount_cents), 0)
                                FROM ledger_postings p WHERE p.account_id = a.id)
       WHERE a.owner_id IS NOT NULL;
      ALTER TABLE ledger_accounts
        ADD CONSTRAINT ledger_accounts_user_balance_kept
          CHECK ((owner_id IS NOT NULL) = (balance_cents IS NOT NULL)),
        ADD CONSTRAINT ledger_accounts_credit_not_negative
          CHECK (kind <> 'user_credit' OR balance_cents >= 0),
        ADD CONSTRAINT ledger_accounts_debt_not_positive
          CHECK (kind <> 'user_debt' OR balance_cents <= 0);

      CREATE FUNCTION ledger_apply_posting() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE ledger_accounts SET balance_cents = balance_cents + NEW.amount_cents
         WHERE id = NEW.account_id AND balance_cents IS NOT NULL;
        RETURN NULL;
      END $$;

      CREATE TRIGGER ledger_postings_move_balance AFTER INSERT ON ledger_postings
        FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER ledger_postings_move_balance ON ledger_postings;
      DROP FUNCTION ledger_apply_posting();
      ALTER TABLE ledger_accounts DROP COLUMN balance_cents;
    `);
  }
}
