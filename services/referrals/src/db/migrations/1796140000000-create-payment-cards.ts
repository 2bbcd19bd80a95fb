import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The cards each user has paid lessons with, as keyed hashes of their Stripe fingerprints (from
 * lesson-completed): one card shared by a referrer and their referee is a self-referral, and
 * links the two accounts in the admin's clusters.
 */
export class CreatePaymentCards1796140000000 implements MigrationInterface {
  name = 'CreatePaymentCards1796140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_cards (
        user_id uuid NOT NULL,
        fingerprint_hash char(64) NOT NULL,
        first_booking_id uuid NOT NULL,
        first_paid_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, fingerprint_hash)
      );
      CREATE INDEX payment_cards_fingerprint ON payment_cards (fingerprint_hash);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE payment_cards;');
  }
}
