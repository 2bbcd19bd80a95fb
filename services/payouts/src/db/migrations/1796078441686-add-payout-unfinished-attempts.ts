import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddPayoutUnfinishedAttempts1796078441686 implements MigrationInterface {
  name = 'AddPayoutUnfinishedAttempts1796078441686';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payouts
        ADD COLUMN unfinished_attempts integer NOT NULL DEFAULT 0
        CHECK (unfinished_attempts >= 0);
      -- What the resume poll looks for: attempts interrupted, or never made.
      CREATE INDEX payouts_resumable ON payouts (next_attempt_at)
        WHERE status = 'pending_transfer' AND (unfinished_attempts > 0 OR attempts = 0);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX payouts_resumable;
      ALTER TABLE payouts DROP COLUMN unfinished_attempts;
    `);
  }
}
