import { MESSAGING_TABLES_V1_DOWN, MESSAGING_TABLES_V1_UP } from '@rewards/messaging';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePayoutsSchema1795228000000 implements MigrationInterface {
  name = 'CreatePayoutsSchema1795228000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payouts (
        id uuid PRIMARY KEY,
        reward_id uuid NOT NULL UNIQUE,
        beneficiary_id uuid NOT NULL,
        amount_cents integer NOT NULL CHECK (amount_cents > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('pending_transfer', 'paid', 'failed')),
        stripe_account_id text,
        transfer_id text UNIQUE,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at timestamptz,
        last_error_code text,
        last_error_message text,
        requested_at timestamptz NOT NULL,
        paid_at timestamptz,
        failed_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CHECK (status <> 'pending_transfer' OR next_attempt_at IS NOT NULL),
        CHECK (status <> 'paid' OR (transfer_id IS NOT NULL AND paid_at IS NOT NULL)),
        CHECK (status <> 'failed' OR failed_at IS NOT NULL)
      );
      CREATE INDEX payouts_due ON payouts (next_attempt_at) WHERE status = 'pending_transfer';
      CREATE INDEX payouts_beneficiary ON payouts (beneficiary_id, requested_at DESC);

      CREATE TABLE transfer_attempts (
        id uuid PRIMARY KEY,
        payout_id uuid NOT NULL REFERENCES payouts (id),
        attempted_at timestamptz NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
        error_code text,
        error_message text,
        transfer_id text,
        CHECK ((outcome = 'succeeded') = (transfer_id IS NOT NULL)),
        CHECK ((outcome = 'failed') = (error_code IS NOT NULL))
      );
      CREATE INDEX transfer_attempts_payout ON transfer_attempts (payout_id, attempted_at);

      -- The attempt log is evidence of what was sent to Stripe: it only ever grows.
      CREATE FUNCTION transfer_attempts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'transfer_attempts is append-only';
      END;
      $$;
      CREATE TRIGGER transfer_attempts_append_only
        BEFORE UPDATE OR DELETE ON transfer_attempts
        FOR EACH ROW EXECUTE FUNCTION transfer_attempts_append_only();
    `);
    await q.query(MESSAGING_TABLES_V1_UP);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V1_DOWN);
    await q.query(`
      DROP TABLE transfer_attempts;
      DROP FUNCTION transfer_attempts_append_only();
      DROP TABLE payouts;
    `);
  }
}
