import { MESSAGING_TABLES_V1_DOWN, MESSAGING_TABLES_V1_UP } from '@rewards/messaging';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateBookingsSchema1763690000000 implements MigrationInterface {
  name = 'CreateBookingsSchema1763690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('student', 'instructor')),
        email text NOT NULL,
        display_name text NOT NULL,
        referral_code text,
        email_verified boolean NOT NULL DEFAULT false,
        phone_verified boolean NOT NULL DEFAULT false,
        stripe_account_id text,
        live_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX accounts_email_unique ON accounts (lower(email));
      CREATE TABLE bookings (
        id uuid PRIMARY KEY,
        student_id uuid NOT NULL REFERENCES accounts (id),
        instructor_id uuid NOT NULL REFERENCES accounts (id),
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('confirmed', 'cancelled', 'completed')),
        confirmed_at timestamptz NOT NULL,
        completed_at timestamptz,
        completed_by text
      );
      CREATE INDEX bookings_instructor ON bookings (instructor_id, starts_at);
      CREATE INDEX bookings_student ON bookings (student_id, starts_at);
    `);
    await q.query(MESSAGING_TABLES_V1_UP);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V1_DOWN);
    await q.query('DROP TABLE bookings; DROP TABLE accounts;');
  }
}
