import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a checkout's capture was told as wallet-debited events (AnnounceCaptures claims it by
 * setting this, in the transaction that writes the events). Captures made before the wallet told
 * them are marked as told when they were made: they are not told late, long after the fact.
 */
export class AnnounceCheckoutCaptures1796140000000 implements MigrationInterface {
  name = 'AnnounceCheckoutCaptures1796140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credit_reservations ADD COLUMN debit_announced_at timestamptz;
      UPDATE credit_reservations SET debit_announced_at = updated_at
       WHERE capture_transaction_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit_reservations DROP COLUMN debit_announced_at');
  }
}
