import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddFeeRebateConfig1796110300000 implements MigrationInterface {
  name = 'AddFeeRebateConfig1796110300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- The platform-fee rebate a program can grant a referring instructor once the instructor
      -- they referred teaches enough qualifying lessons in a window. Off unless an admin enables it.
      INSERT INTO program_config (key, value) VALUES ('instructor_fee_rebate',
        '{"enabled": false, "amountCents": 5000, "lessons": 3, "windowDays": 30}');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM program_config WHERE key = 'instructor_fee_rebate'");
  }
}
