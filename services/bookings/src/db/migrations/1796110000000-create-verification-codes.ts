import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateVerificationCodes1796110000000 implements MigrationInterface {
  name = 'CreateVerificationCodes1796110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- The phone a user verified (E.164); one verified account per phone number.
      ALTER TABLE accounts ADD COLUMN phone text;
      CREATE UNIQUE INDEX accounts_verified_phone_unique ON accounts (phone)
        WHERE phone IS NOT NULL AND phone_verified;
      -- One-time codes: only a keyed hash of the code is kept; a code is used once at most.
      CREATE TABLE verification_codes (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES accounts (id),
        channel text NOT NULL CHECK (channel IN ('email', 'phone')),
        destination text NOT NULL,
        code_hash text NOT NULL,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
        consumed_at timestamptz
      );
      CREATE INDEX verification_codes_user ON verification_codes (user_id, channel, created_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE verification_codes;
      DROP INDEX accounts_verified_phone_unique;
      ALTER TABLE accounts DROP COLUMN phone;
    `);
  }
}
