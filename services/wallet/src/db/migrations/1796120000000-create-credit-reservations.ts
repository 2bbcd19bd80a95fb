import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Checkout reservations: credit (a student's) and fee rebate (an instructor's) moved into the
 * owner's reserved account while a booking is confirmed, then captured to the platform, or
 * released back (and refunded back after a capture), each movement a ledger transaction. A
 * released or refunded amount goes back to the lots it was taken from (credit_lot_returns), so
 * it keeps its expiry date. Fee rebates get their own user account kind.
 */
export class CreateCreditReservations1796120000000 implements MigrationInterface {
  name = 'CreateCreditReservations1796120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
        CHECK (kind IN ('user_credit', 'user_debt', 'user_reserved', 'user_fee_rebate',
                        'platform_rewards_expense', 'platform_fee_rebate_expense',
                        'platform_expired_credit', 'platform_credit_redeemed',
                        'platform_fee_rebate_redeemed'));
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_owner_matches_kind;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_owner_matches_kind
        CHECK ((owner_id IS NOT NULL) =
               (kind IN ('user_credit', 'user_debt', 'user_reserved', 'user_fee_rebate')));
      ALTER TABLE ledger_accounts
        ADD CONSTRAINT ledger_accounts_reserved_not_negative
          CHECK (kind <> 'user_reserved' OR balance_cents >= 0),
        ADD CONSTRAINT ledger_accounts_fee_rebate_not_negative
          CHECK (kind <> 'user_fee_rebate' OR balance_cents >= 0);

      ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('reward_credit', 'reward_void', 'debt_settlement', 'credit_expiry',
                        'credit_spend', 'checkout_reserve', 'checkout_capture',
                        'checkout_release', 'checkout_refund'));

      CREATE TABLE credit_reservations (
        reference text PRIMARY KEY,
        booking_id uuid NOT NULL,
        student_id uuid NOT NULL,
        credit_cents bigint NOT NULL CHECK (credit_cents >= 0),
        instructor_id uuid,
        fee_rebate_cents bigint NOT NULL CHECK (fee_rebate_cents >= 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('held', 'captured', 'released', 'refunded')),
        expires_at timestamptz NOT NULL,
        reserve_transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
        capture_transaction_id uuid REFERENCES ledger_transactions (id),
        return_transaction_id uuid REFERENCES ledger_transactions (id),
        release_reason text,
        -- A capture after its hold lapsed takes what is left; the rest is owed (user_debt).
        credit_shortfall_cents bigint NOT NULL DEFAULT 0 CHECK (credit_shortfall_cents >= 0),
        fee_rebate_shortfall_cents bigint NOT NULL DEFAULT 0
          CHECK (fee_rebate_shortfall_cents >= 0),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT credit_reservations_something CHECK (credit_cents + fee_rebate_cents > 0),
        CONSTRAINT credit_reservations_rebate_has_instructor
          CHECK (fee_rebate_cents = 0 OR instructor_id IS NOT NULL)
      );
      CREATE INDEX credit_reservations_booking ON credit_reservations (booking_id);
      CREATE INDEX credit_reservations_due ON credit_reservations (expires_at)
        WHERE status = 'held';

      CREATE TABLE credit_lot_returns (
        lot_id uuid NOT NULL REFERENCES credit_lots (id),
        transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
        -- The transaction whose take from the lot this gives back.
        from_transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
        amount_cents bigint NOT NULL CHECK (amount_cents > 0),
        -- The lot had expired by then: the amount went to expired credit, not back to the lot.
        expired boolean NOT NULL,
        PRIMARY KEY (lot_id, transaction_id)
      );
      CREATE INDEX credit_lot_returns_from ON credit_lot_returns (from_transaction_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE credit_lot_returns;
      DROP TABLE credit_reservations;
      ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
      ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
        CHECK (kind IN ('reward_credit', 'reward_void', 'debt_settlement', 'credit_expiry',
                        'credit_spend'));
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_fee_rebate_not_negative,
        DROP CONSTRAINT ledger_accounts_reserved_not_negative;
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_owner_matches_kind;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_owner_matches_kind
        CHECK ((owner_id IS NOT NULL) = (kind IN ('user_credit', 'user_debt')));
      ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
      ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
        CHECK (kind IN ('user_credit', 'user_debt', 'platform_rewards_expense',
                        'platform_fee_rebate_expense', 'platform_expired_credit',
                        'platform_credit_redeemed'));
    `);
  }
}
