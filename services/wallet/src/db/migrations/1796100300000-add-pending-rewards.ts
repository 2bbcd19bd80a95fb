import { MigrationInterface, QueryRunner } from 'typeorm';

/** What an earned, still held reward will credit: shown as pending until it unlocks or is voided. */
export class AddPendingRewards1796100300000 implements MigrationInterface {
  name = 'AddPendingRewards1796100300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE wallet_rewards
        ADD COLUMN pending_cents bigint CHECK (pending_cents > 0),
        ADD COLUMN pending_currency char(3),
        ADD CONSTRAINT wallet_rewards_pending_has_currency
          CHECK ((pending_cents IS NULL) = (pending_currency IS NULL));
      CREATE INDEX wallet_rewards_pending ON wallet_rewards (beneficiary_id)
        WHERE status = 'open' AND pending_cents IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX wallet_rewards_pending;
      ALTER TABLE wallet_rewards DROP COLUMN pending_currency, DROP COLUMN pending_cents;
    `);
  }
}
