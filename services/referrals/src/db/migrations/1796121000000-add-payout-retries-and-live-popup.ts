import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddPayoutRetriesAndLivePopup1796121000000 implements MigrationInterface {
  name = 'AddPayoutRetriesAndLivePopup1796121000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A failed bonus payout that payouts will try again, and when (null: the failure is final).
      ALTER TABLE instructor_referrals ADD COLUMN next_retry_at timestamptz;
      -- When the latest payout fact applied happened (paid or failed): payout-paid and
      -- payout-failed travel on different topics, so an older fact arriving late is ignored.
      ALTER TABLE instructor_referrals ADD COLUMN payout_event_at timestamptz;
      -- The one-time popup an instructor sees after going live: shown until acknowledged.
      ALTER TABLE instructor_milestones ADD COLUMN live_popup_acknowledged_at timestamptz;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE instructor_milestones DROP COLUMN live_popup_acknowledged_at;
      ALTER TABLE instructor_referrals DROP COLUMN payout_event_at;
      ALTER TABLE instructor_referrals DROP COLUMN next_retry_at;
    `);
  }
}
