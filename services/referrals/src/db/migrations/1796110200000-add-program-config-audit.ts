import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddProgramConfigAudit1796110200000 implements MigrationInterface {
  name = 'AddProgramConfigAudit1796110200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Every change an admin made to program configuration: old and new value, who and why.
      CREATE TABLE program_config_audit (
        id uuid PRIMARY KEY,
        key text NOT NULL,
        old_value jsonb,
        new_value jsonb NOT NULL,
        actor text NOT NULL,
        reason text NOT NULL,
        changed_at timestamptz NOT NULL
      );
      CREATE INDEX program_config_audit_at ON program_config_audit (changed_at DESC);
      INSERT INTO program_config (key, value) VALUES ('ftc_disclosure',
        '"Referral rewards are offered by the marketplace. Referrers earn account credit for friends who sign up with their link and complete a first qualifying lesson; see the program terms."');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM program_config WHERE key = 'ftc_disclosure';
      DROP TABLE program_config_audit;
    `);
  }
}
