import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Checkout: signed quotes (one benefit each: the referee's first-lesson discount or wallet
 * credit), the student referees' discounts learnt from referral-attributed, and what each
 * booking was charged. Earlier bookings had no benefit: they paid their list price.
 */
export class CreateCheckoutQuotes1796120200000 implements MigrationInterface {
  name = 'CreateCheckoutQuotes1796120200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE referee_discounts (
        student_id uuid PRIMARY KEY,
        referrer_id uuid NOT NULL,
        attribution_id uuid NOT NULL,
        amount_cents integer NOT NULL CHECK (amount_cents > 0),
        minimum_lesson_cents integer NOT NULL CHECK (minimum_lesson_cents >= 0),
        currency char(3) NOT NULL,
        attributed_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL
      );

      CREATE TABLE checkout_quotes (
        id uuid PRIMARY KEY,
        booking_id uuid NOT NULL UNIQUE,
        student_id uuid NOT NULL REFERENCES accounts (id),
        instructor_id uuid NOT NULL REFERENCES accounts (id),
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        currency char(3) NOT NULL,
        list_price_cents integer NOT NULL CHECK (list_price_cents >= 0),
        benefit_kind text NOT NULL
          CHECK (benefit_kind IN ('referee_discount', 'wallet_credit', 'none')),
        benefit_cents integer NOT NULL CHECK (benefit_cents >= 0),
        benefit_reason text NOT NULL,
        total_cents integer NOT NULL CHECK (total_cents >= 0),
        platform_fee_cents integer NOT NULL CHECK (platform_fee_cents >= 0),
        fee_rebate_cents integer NOT NULL CHECK (fee_rebate_cents >= 0),
        expires_at timestamptz NOT NULL,
        signature text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT checkout_quotes_total CHECK (total_cents = list_price_cents - benefit_cents),
        CONSTRAINT checkout_quotes_rebate CHECK (fee_rebate_cents <= platform_fee_cents)
      );
      CREATE INDEX checkout_quotes_student ON checkout_quotes (student_id, created_at);

      ALTER TABLE bookings
        ADD COLUMN quote_id uuid UNIQUE REFERENCES checkout_quotes (id),
        ADD COLUMN benefit_kind text NOT NULL DEFAULT 'none'
          CHECK (benefit_kind IN ('referee_discount', 'wallet_credit', 'none')),
        ADD COLUMN benefit_cents integer NOT NULL DEFAULT 0 CHECK (benefit_cents >= 0),
        ADD COLUMN platform_fee_cents integer CHECK (platform_fee_cents >= 0),
        ADD COLUMN fee_rebate_cents integer NOT NULL DEFAULT 0 CHECK (fee_rebate_cents >= 0),
        ADD COLUMN cancelled_at timestamptz,
        ADD COLUMN cancelled_by text CHECK (cancelled_by IN ('student', 'instructor')),
        ADD CONSTRAINT bookings_benefit_within_price CHECK (benefit_cents <= price_cents);
      CREATE INDEX bookings_student_first_lesson ON bookings (student_id, price_cents)
        WHERE status <> 'cancelled';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX bookings_student_first_lesson;
      ALTER TABLE bookings DROP CONSTRAINT bookings_benefit_within_price,
        DROP COLUMN cancelled_by, DROP COLUMN cancelled_at, DROP COLUMN fee_rebate_cents,
        DROP COLUMN platform_fee_cents, DROP COLUMN benefit_cents, DROP COLUMN benefit_kind,
        DROP COLUMN quote_id;
      DROP TABLE checkout_quotes;
      DROP TABLE referee_discounts;
    `);
  }
}
