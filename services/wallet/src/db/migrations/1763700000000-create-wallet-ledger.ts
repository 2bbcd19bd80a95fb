import { MESSAGING_TABLES_V1_DOWN, MESSAGING_TABLES_V1_UP } from '@rewards/messaging';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger. The database itself guarantees the two rules no code path may break:
 * postings and transactions are append-only, and every transaction balances (checked at commit,
 * so the legs of one transaction can be inserted one by one). Non-negative user balances need a
 * read of the balance under a lock, which the posting use case does.
 */
export class CreateWalletLedger1763700000000 implements MigrationInterface {
  name = 'CreateWalletLedger1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_accounts (
        id uuid PRIMARY KEY,
        owner_id uuid,
        kind text NOT NULL
          CHECK (kind IN ('user_credit', 'platform_rewards_expense', 'platform_fee_rebate_expense')),
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL,
        -- User accounts have an owner, platform accounts have none.
        CONSTRAINT ledger_accounts_owner_matches_kind
          CHECK ((owner_id IS NOT NULL) = (kind = 'user_credit')),
        -- NULLS NOT DISTINCT: there is one platform account per kind and currency, not many.
        CONSTRAINT ledger_accounts_owner_kind_currency UNIQUE NULLS NOT DISTINCT (owner_id, kind, currency),
        -- Target of the postings' (account_id, currency) key: a posting is in its account's currency.
        CONSTRAINT ledger_accounts_id_currency UNIQUE (id, currency)
      );

      CREATE TABLE ledger_transactions (
        id uuid PRIMARY KEY,
        idempotency_key text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('reward_credit', 'reward_void')),
        source_id text NOT NULL,
        note text,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL
      );

      CREATE TABLE ledger_postings (
        id bigserial PRIMARY KEY,
        transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
        account_id uuid NOT NULL,
        amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
        currency char(3) NOT NULL,
        FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency)
      );
      CREATE INDEX ledger_postings_account ON ledger_postings (account_id, id);
      CREATE INDEX ledger_postings_transaction ON ledger_postings (transaction_id);

      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'restrict_violation',
                HINT = 'correct a ledger entry with a new, reversing transaction';
      END $$;

      CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
      CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
      CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
      CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

      CREATE FUNCTION ledger_assert_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        total numeric;
        currencies integer;
      BEGIN
        SELECT coalesce(sum(amount_cents), 0), count(DISTINCT currency) INTO total, currencies
          FROM ledger_postings WHERE transaction_id = NEW.transaction_id;
        IF total <> 0 OR currencies > 1 THEN
          RAISE EXCEPTION 'ledger transaction % does not balance: sum % across % currencies',
            NEW.transaction_id, total, currencies
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$;

      -- Deferred to commit: checked once every leg of the transaction is in.
      CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_assert_balanced();
    `);
    await q.query(MESSAGING_TABLES_V1_UP);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V1_DOWN);
    await q.query(`
      DROP TABLE ledger_postings;
      DROP TABLE ledger_transactions;
      DROP TABLE ledger_accounts;
      DROP FUNCTION ledger_assert_balanced();
      DROP FUNCTION ledger_refuse_change();
    `);
  }
}
