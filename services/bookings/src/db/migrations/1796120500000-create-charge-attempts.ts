import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every card charge is recorded before Stripe is asked to make it, so a charge whose booking
 * never committed (a crash, a failed commit, a refund Stripe could not make then) is found and
 * refunded by the reconciliation job. `id` is the charge's idempotency key at Stripe.
 */
export class CreateChargeAttempts1796120500000 implements MigrationInterface {
  name = 'CreateChargeAttempts1796120500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE charge_attempts (
        id text PRIMARY KEY,
        booking_id uuid NOT NULL,
        student_id uuid NOT NULL,
        amount_cents integer NOT NULL CHECK (amount_cents > 0),
        currency char(3) NOT NULL,
        state text NOT NULL
          CHECK (state IN ('charging', 'booked', 'declined', 'refunded', 'abandoned')),
        payment_intent_id text,
        refund_id text,
        created_at timestamptz NOT NULL,
        settled_at timestamptz
      );
      -- The reconciliation job's scan: only attempts still open.
      CREATE INDEX charge_attempts_charging ON charge_attempts (created_at)
        WHERE state = 'charging';
      CREATE INDEX charge_attempts_booking ON charge_attempts (booking_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE charge_attempts`);
  }
}
