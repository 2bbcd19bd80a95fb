import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A priced booking is paid by card at confirmation: the Stripe PaymentIntent that charged it,
 * the keyed hash of the card's fingerprint (never the fingerprint itself) and the refund that
 * gave the money back on a cancellation or a support refund.
 */
export class AddBookingPayments1796120400000 implements MigrationInterface {
  name = 'AddBookingPayments1796120400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE bookings
        ADD COLUMN payment_intent_id text UNIQUE,
        ADD COLUMN payment_fingerprint_hash char(64),
        ADD COLUMN payment_refund_id text;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE bookings
        DROP COLUMN payment_intent_id,
        DROP COLUMN payment_fingerprint_hash,
        DROP COLUMN payment_refund_id;
    `);
  }
}
