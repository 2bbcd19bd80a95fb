import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateStudentRewards1796110100000 implements MigrationInterface {
  name = 'CreateStudentRewards1796110100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Every completed lesson of a student, with the facts that decide whether it qualifies.
      CREATE TABLE student_lessons (
        booking_id uuid PRIMARY KEY,
        student_id uuid NOT NULL,
        instructor_id uuid NOT NULL,
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        starts_at timestamptz,
        completed_at timestamptz NOT NULL,
        cancelled_at timestamptz
      );
      CREATE INDEX student_lessons_student ON student_lessons (student_id, completed_at);
      -- One decision per referee and reward kind: granted (held, review, unlocked), voided or
      -- refused, each with a stable reason code.
      CREATE TABLE student_rewards (
        reward_id uuid PRIMARY KEY,
        referee_id uuid NOT NULL,
        referrer_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('student_referral_credit', 'fee_rebate')),
        status text NOT NULL CHECK (status IN ('held', 'review', 'unlocked', 'voided', 'refused')),
        reason text NOT NULL,
        amount_cents integer NOT NULL CHECK (amount_cents >= 0),
        currency char(3) NOT NULL,
        booking_id uuid,
        phase text,
        decided_at timestamptz NOT NULL,
        hold_until timestamptz,
        review_expires_at timestamptz,
        earned boolean NOT NULL DEFAULT false,
        unlocked_at timestamptz,
        voided_at timestamptz,
        clawback boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL,
        UNIQUE (referee_id, kind)
      );
      CREATE INDEX student_rewards_due ON student_rewards (hold_until) WHERE status = 'held';
      CREATE INDEX student_rewards_review ON student_rewards (review_expires_at) WHERE status = 'review';
      CREATE INDEX student_rewards_referrer ON student_rewards (referrer_id, decided_at);
      CREATE INDEX student_rewards_booking ON student_rewards (booking_id);
      -- Every admin (or expiry) decision on a reward or user: who, when, why. Never updated.
      CREATE TABLE review_decisions (
        id uuid PRIMARY KEY,
        reward_id uuid,
        user_id uuid,
        action text NOT NULL CHECK (action IN ('approve', 'void', 'ban', 'expire')),
        actor text NOT NULL,
        reason text NOT NULL,
        decided_at timestamptz NOT NULL
      );
      CREATE INDEX review_decisions_reward ON review_decisions (reward_id);
      INSERT INTO program_config (key, value) VALUES
        ('student_referrer_reward_cents', '2000'),
        ('student_referee_discount_cents', '2000'),
        ('student_lesson_minimum_cents', '7500'),
        ('student_hold_days', '7'),
        ('student_credit_lifetime_months', '6'),
        ('student_program_phase', '"preview"'),
        ('student_phase_caps', '{"preview": 50, "beta": 200}'),
        ('student_velocity_limits', '[{"windowHours": 24, "max": 3}, {"windowHours": 720, "max": 10}]'),
        ('household_review_threshold', '3'),
        ('review_expiry_days', '30');
      INSERT INTO program_counters (name, value) VALUES
        ('student_rewards:preview', 0), ('student_rewards:beta', 0);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM program_counters WHERE name LIKE 'student_rewards:%';
      DELETE FROM program_config WHERE key IN ('student_referrer_reward_cents',
        'student_referee_discount_cents', 'student_lesson_minimum_cents', 'student_hold_days',
        'student_credit_lifetime_months', 'student_program_phase', 'student_phase_caps',
        'student_velocity_limits', 'household_review_threshold', 'review_expiry_days');
      DROP TABLE review_decisions; DROP TABLE student_rewards; DROP TABLE student_lessons;
    `);
  }
}
