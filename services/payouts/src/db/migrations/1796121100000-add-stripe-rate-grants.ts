import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddStripeRateGrants1796121100000 implements MigrationInterface {
  name = 'AddStripeRateGrants1796121100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- When each Stripe call of any replica was allowed to start (database clock): the limiter
      -- allows one only while fewer than the limit started in the second before it. Replaces
      -- stripe_rate_windows (per calendar second, which let twice the limit through across a
      -- second's boundary); that table stays until no replica of the previous version runs.
      CREATE TABLE stripe_rate_grants (granted_at timestamptz NOT NULL);
      CREATE INDEX stripe_rate_grants_at ON stripe_rate_grants (granted_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE stripe_rate_grants');
  }
}
