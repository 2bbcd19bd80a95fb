import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddLeaseTokenAndStripeRateWindows1796091000000 implements MigrationInterface {
  name = 'AddLeaseTokenAndStripeRateWindows1796091000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Set by each claim: an attempt records its outcome only while the token is still its own.
      ALTER TABLE payouts ADD COLUMN lease_token uuid;
      -- Which idempotency key creations use: it moves on only after a failure that proves no
      -- transfer was made, so a retry after a timeout or a 409 reuses the key of the create it
      -- cannot rule out. Until now the key followed the recorded attempts.
      ALTER TABLE payouts ADD COLUMN transfer_key_generation integer NOT NULL DEFAULT 0
        CHECK (transfer_key_generation >= 0);
      UPDATE payouts SET transfer_key_generation = attempts;

      -- Stripe calls started per second of the database clock, shared by every replica.
      CREATE TABLE stripe_rate_windows (
        window_start bigint PRIMARY KEY,
        used integer NOT NULL CHECK (used > 0)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE stripe_rate_windows;
      ALTER TABLE payouts DROP COLUMN transfer_key_generation;
      ALTER TABLE payouts DROP COLUMN lease_token;
    `);
  }
}
