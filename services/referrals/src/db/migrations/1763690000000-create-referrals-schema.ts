import { MESSAGING_TABLES_V1_DOWN, MESSAGING_TABLES_V1_UP } from '@rewards/messaging';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateReferralsSchema1763690000000 implements MigrationInterface {
  name = 'CreateReferralsSchema1763690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE referral_codes (
        code text PRIMARY KEY,
        user_id uuid NOT NULL UNIQUE,
        owner_role text NOT NULL CHECK (owner_role IN ('student', 'instructor')),
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL
      );
      -- One attribution per referee, immutable once made (no UPDATE path exists in code).
      CREATE TABLE attributions (
        referee_id uuid PRIMARY KEY,
        referrer_id uuid,
        code text NOT NULL,
        program text NOT NULL CHECK (program IN ('student', 'instructor')),
        outcome text NOT NULL CHECK (outcome IN ('attributed', 'refused')),
        refusal_reason text,
        decided_at timestamptz NOT NULL,
        CHECK ((outcome = 'attributed') = (referrer_id IS NOT NULL))
      );
      CREATE INDEX attributions_referrer ON attributions (referrer_id);
      CREATE TABLE instructor_referrals (
        referee_id uuid PRIMARY KEY REFERENCES attributions (referee_id),
        referrer_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('pending_live', 'pending_lesson', 'pending_transfer', 'paid', 'failed')),
        attributed_at timestamptz NOT NULL,
        went_live_at timestamptz,
        first_lesson_booking_id uuid,
        first_lesson_at timestamptz,
        reward_id uuid UNIQUE,
        payout_id uuid UNIQUE,
        bonus_cents integer CHECK (bonus_cents > 0),
        currency char(3),
        founding boolean,
        paid_at timestamptz,
        transfer_id text,
        failure_reason text,
        updated_at timestamptz NOT NULL
      );
      -- What referrals learned about each instructor, whatever order the events arrived in:
      -- Kafka orders events per topic partition, not across topics.
      CREATE TABLE instructor_milestones (
        instructor_id uuid PRIMARY KEY,
        went_live_at timestamptz,
        first_lesson_booking_id uuid,
        first_lesson_at timestamptz
      );
      CREATE INDEX instructor_referrals_referrer ON instructor_referrals (referrer_id, attributed_at DESC);
      CREATE TABLE program_config (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text NOT NULL DEFAULT 'migration'
      );
      INSERT INTO program_config (key, value) VALUES
        ('founding_instructor_cap', '100'),
        ('founding_instructor_bonus_cents', '7500'),
        ('instructor_standard_bonus_cents', '5000'),
        ('currency', '"USD"');
      -- Counters that caps are checked against; rows are locked while a reward is decided.
      CREATE TABLE program_counters (
        name text PRIMARY KEY,
        value integer NOT NULL CHECK (value >= 0)
      );
      INSERT INTO program_counters (name, value) VALUES ('founding_instructor_bonuses', 0);
    `);
    await q.query(MESSAGING_TABLES_V1_UP);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V1_DOWN);
    await q.query(`DROP TABLE program_counters; DROP TABLE program_config; DROP TABLE instructor_milestones;
      DROP TABLE instructor_referrals; DROP TABLE attributions; DROP TABLE referral_codes;`);
  }
}
