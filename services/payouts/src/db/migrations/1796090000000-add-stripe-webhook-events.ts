import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddStripeWebhookEvents1796090000000 implements MigrationInterface {
  name = 'AddStripeWebhookEvents1796090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Every Stripe event id applied, so a redelivery (Stripe retries for days) is a no-op.
      CREATE TABLE stripe_webhook_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        stripe_created_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('applied', 'ignored')),
        payout_id uuid
      );
      CREATE INDEX stripe_webhook_events_payout ON stripe_webhook_events (payout_id)
        WHERE payout_id IS NOT NULL;

      -- A transfer Stripe reversed after paying it: the money went back to the platform.
      ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
      ALTER TABLE payouts ADD CONSTRAINT payouts_status_check
        CHECK (status IN ('pending_transfer', 'paid', 'failed', 'reversed'));
      ALTER TABLE payouts ADD CONSTRAINT payouts_reversed_at
        CHECK (status <> 'reversed' OR failed_at IS NOT NULL);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payouts DROP CONSTRAINT payouts_reversed_at;
      ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
      ALTER TABLE payouts ADD CONSTRAINT payouts_status_check
        CHECK (status IN ('pending_transfer', 'paid', 'failed'));
      DROP TABLE stripe_webhook_events;
    `);
  }
}
