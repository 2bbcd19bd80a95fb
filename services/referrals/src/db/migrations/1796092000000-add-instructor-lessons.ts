import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddInstructorLessons1796092000000 implements MigrationInterface {
  name = 'AddInstructorLessons1796092000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Every completed lesson of an instructor, with the facts that decide whether it qualifies;
      -- kept because who the referrer is may only be known later (events arrive in any order).
      CREATE TABLE instructor_lessons (
        booking_id uuid PRIMARY KEY,
        instructor_id uuid NOT NULL,
        student_id uuid,
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        starts_at timestamptz,
        completed_at timestamptz NOT NULL
      );
      CREATE INDEX instructor_lessons_instructor ON instructor_lessons (instructor_id, completed_at);
      -- First lessons recorded before this rule existed were accepted under the old one and
      -- stay accepted: their price and start were not kept, so they are carried over as a
      -- maximal price and a start just before completion, the student unknown.
      INSERT INTO instructor_lessons (booking_id, instructor_id, student_id, price_cents, starts_at,
        completed_at)
      SELECT first_lesson_booking_id, instructor_id, NULL, 2147483647, first_lesson_at - interval '1 second',
        first_lesson_at
      FROM instructor_milestones WHERE first_lesson_booking_id IS NOT NULL
      ON CONFLICT DO NOTHING;
      INSERT INTO program_config (key, value) VALUES ('instructor_lesson_minimum_cents', '2000');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM program_config WHERE key = 'instructor_lesson_minimum_cents';
      DROP TABLE instructor_lessons;
    `);
  }
}
