import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per reward the wallet has heard of, which both reward handlers lock before touching the
 * ledger, so an unlock and a void of one reward applied at once (their topics' partitions are
 * worked on concurrently) end the same whichever commits first. A void that comes first leaves
 * the row as a tombstone the unlock respects. Also widens the account kinds with the user's debt
 * (what a void could not take back) and the transaction kinds with its settlement.
 */
export class CreateRewardRecords1796100000000 implements MigrationInterface {
  name = 'CreateRewardRecords1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
        CHECK (kind IN ('user_credit', 'user_debt', 'platform_rewards_expense',
                        'platform_fee_rebate_expense'));
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_owner_matches_kind;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_owner_matches_kind
        CHECK ((owner_id IS NOT NULL) = (kind IN ('user_credit', 'user_debt')));

      ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('reward_credit', 'reward_void', 'debt_settlement'));

      CREATE TABLE wallet_rewards (
        reward_id uuid PRIMARY KEY,
        beneficiary_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'credited', 'voided')),
        credit_transaction_id uuid REFERENCES ledger_transactions (id),
        void_transaction_id uuid REFERENCES ledger_transactions (id),
        void_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT wallet_rewards_credited_has_credit
          CHECK (status <> 'credited' OR credit_transaction_id IS NOT NULL)
      );

      -- Rewards credited (and perhaps voided) before this table existed.
      INSERT INTO wallet_rewards (reward_id, beneficiary_id, status, credit_transaction_id,
                                  void_transaction_id, void_reason, created_at, updated_at)
      SELECT c.source_id::uuid, a.owner_id,
             CASE WHEN v.id IS NULL THEN 'credited' ELSE 'voided' END,
             c.id, v.id, CASE WHEN v.id IS NULL THEN NULL ELSE 'UNKNOWN' END,
             c.created_at, coalesce(v.created_at, c.created_at)
        FROM ledger_transactions c
        JOIN ledger_postings p ON p.transaction_id = c.id AND p.amount_cents > 0
        JOIN ledger_accounts a ON a.id = p.account_id AND a.kind = 'user_credit'
        LEFT JOIN ledger_transactions v ON v.idempotency_key = 'reward-voided:' || c.source_id
       WHERE c.idempotency_key LIKE 'reward-unlocked:%';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE wallet_rewards;
      ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('reward_credit', 'reward_void'));
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_owner_matches_kind;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_owner_matches_kind
        CHECK ((owner_id IS NOT NULL) = (kind = 'user_credit'));
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
        CHECK (kind IN ('user_credit', 'platform_rewards_expense', 'platform_fee_rebate_expense'));
    `);
  }
}
