import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateClicksAndReferralUsers1796110000000 implements MigrationInterface {
  name = 'CreateClicksAndReferralUsers1796110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Share-link clicks. Device id and IP are kept only as keyed hashes (HMAC with a pepper).
      CREATE TABLE clicks (
        id uuid PRIMARY KEY,
        code text NOT NULL,
        device_hash text NOT NULL,
        ip_hash text,
        user_agent text,
        clicked_at timestamptz NOT NULL
      );
      CREATE INDEX clicks_device ON clicks (device_hash, clicked_at);
      CREATE INDEX clicks_code ON clicks (code, clicked_at);
      -- What referrals knows of each user for fraud checks: the hashes they signed up from and
      -- whether their email and phone are verified (user-verified).
      CREATE TABLE referral_users (
        user_id uuid PRIMARY KEY,
        role text,
        device_hash text,
        ip_hash text,
        registered_at timestamptz,
        email_verified boolean NOT NULL DEFAULT false,
        phone_verified boolean NOT NULL DEFAULT false,
        banned_at timestamptz,
        banned_by text,
        ban_reason text
      );
      CREATE INDEX referral_users_device ON referral_users (device_hash);
      CREATE INDEX referral_users_ip ON referral_users (ip_hash);
      -- How an attribution was reached (beside the immutable decision in attributions).
      CREATE TABLE attribution_sources (
        referee_id uuid PRIMARY KEY,
        source text NOT NULL CHECK (source IN ('click', 'code', 'claim')),
        click_id uuid,
        model text NOT NULL CHECK (model IN ('last_click', 'first_click')),
        refusal_detail text
      );
      INSERT INTO program_config (key, value) VALUES
        ('student_attribution_model', '"last_click"'),
        ('attribution_window_days', '30');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM program_config WHERE key IN ('student_attribution_model', 'attribution_window_days');
      DROP TABLE attribution_sources; DROP TABLE referral_users; DROP TABLE clicks;
    `);
  }
}
