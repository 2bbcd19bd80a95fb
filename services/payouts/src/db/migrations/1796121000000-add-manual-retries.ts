import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddManualRetries1796121000000 implements MigrationInterface {
  name = 'AddManualRetries1796121000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- When an admin last sent a failed payout back to its transfer attempts (and who): the
      -- retry window counts from then, so a payout given up after a week gets a new one.
      ALTER TABLE payouts ADD COLUMN manual_retry_at timestamptz;
      ALTER TABLE payouts ADD COLUMN manual_retry_by uuid;
      -- The admin list: by status, newest request first, then id (the cursor's order).
      CREATE INDEX payouts_status_requested ON payouts (status, requested_at DESC, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX payouts_status_requested;
      ALTER TABLE payouts DROP COLUMN manual_retry_by;
      ALTER TABLE payouts DROP COLUMN manual_retry_at;
    `);
  }
}
