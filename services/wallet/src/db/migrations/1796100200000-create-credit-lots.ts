import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credit lots: each unlocked credit is a lot with its own expiry date, spent soonest-expiring
 * first (credit_lot_uses says which transaction took what from which lot). A reminder row per lot
 * and reminder makes each reminder go out once. Adds the platform accounts that expired and spent
 * credit go to, and the transaction kinds that move them.
 */
export class CreateCreditLots1796100200000 implements MigrationInterface {
  name = 'CreateCreditLots1796100200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
        CHECK (kind IN ('user_credit', 'user_debt', 'platform_rewards_expense',
                        'platform_fee_rebate_expense', 'platform_expired_credit',
                        'platform_credit_redeemed'));
      ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('reward_credit', 'reward_void', 'debt_settlement', 'credit_expiry',
                        'credit_spend'));

      CREATE TABLE credit_lots (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES ledger_accounts (id),
        owner_id uuid NOT NULL,
        reward_id uuid,
        source_transaction_id uuid NOT NULL UNIQUE REFERENCES ledger_transactions (id),
        currency char(3) NOT NULL,
        amount_cents bigint NOT NULL CHECK (amount_cents > 0),
        remaining_cents bigint NOT NULL
          CHECK (remaining_cents >= 0 AND remaining_cents <= amount_cents),
        unlocked_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL CHECK (expires_at > unlocked_at),
        expired_at timestamptz,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX credit_lots_spend_order ON credit_lots (account_id, expires_at, id)
        WHERE remaining_cents > 0;
      CREATE INDEX credit_lots_due ON credit_lots (expires_at) WHERE remaining_cents > 0;
      CREATE INDEX credit_lots_owner ON credit_lots (owner_id, expires_at)
        WHERE remaining_cents > 0;

      CREATE TABLE credit_lot_uses (
        lot_id uuid NOT NULL REFERENCES credit_lots (id),
        transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
        amount_cents bigint NOT NULL CHECK (amount_cents > 0),
        PRIMARY KEY (lot_id, transaction_id)
      );

      CREATE TABLE credit_lot_reminders (
        lot_id uuid NOT NULL REFERENCES credit_lots (id),
        days_before integer NOT NULL CHECK (days_before > 0),
        sent_at timestamptz NOT NULL,
        PRIMARY KEY (lot_id, days_before)
      );

      -- Credits made before lots existed: 6 months from unlock; what is left of the balance is
      -- in the latest-expiring of them, as spending soonest-expiring first would have left it.
      INSERT INTO credit_lots (id, account_id, owner_id, reward_id, source_transaction_id, currency,
                               amount_cents, remaining_cents, unlocked_at, expires_at, created_at)
      SELECT gen_random_uuid(), account_id, owner_id, reward_id, transaction_id, currency,
             amount_cents,
             greatest(0, least(amount_cents, balance_cents - coalesce(later_cents, 0))),
             occurred_at, occurred_at + interval '6 months', now()
        FROM (SELECT p.account_id, a.owner_id, t.source_id::uuid AS reward_id,
                     t.id AS transaction_id, p.currency, p.amount_cents, a.balance_cents,
                     t.occurred_at,
                     sum(p.amount_cents) OVER (PARTITION BY p.account_id
                                              ORDER BY t.occurred_at DESC, t.id DESC
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                       AS later_cents
                FROM ledger_transactions t
                JOIN ledger_postings p ON p.transaction_id = t.id AND p.amount_cents > 0
                JOIN ledger_accounts a ON a.id = p.account_id AND a.kind = 'user_credit'
               WHERE t.kind = 'reward_credit') credits;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE credit_lot_reminders;
      DROP TABLE credit_lot_uses;
      DROP TABLE credit_lots;
      ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('reward_credit', 'reward_void', 'debt_settlement'));
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
        CHECK (kind IN ('user_credit', 'user_debt', 'platform_rewards_expense',
                        'platform_fee_rebate_expense'));
    `);
  }
}
