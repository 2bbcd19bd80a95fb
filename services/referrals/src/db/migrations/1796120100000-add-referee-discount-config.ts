import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The student program's referee benefit, as program config an admin can change: $20 off the
 * referee's first lesson priced $75 or more. Published with each student referral-attributed.
 */
export class AddRefereeDiscountConfig1796120100000 implements MigrationInterface {
  name = 'AddRefereeDiscountConfig1796120100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO program_config (key, value) VALUES
        ('student_referee_discount_cents', '2000'),
        ('student_referee_minimum_lesson_cents', '7500')
      ON CONFLICT (key) DO NOTHING;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM program_config
       WHERE key IN ('student_referee_discount_cents', 'student_referee_minimum_lesson_cents');
    `);
  }
}
