import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A quote is no longer stored: its signature carries it (checkout/quote-signature.ts), so quoting
 * writes nothing and confirming reads nothing. bookings.quote_id stays unique (one booking per
 * quote, what makes a repeated confirmation answer the same booking) without the foreign key,
 * which would check a table no one writes. Quotes issued before this deploy, signed the old way,
 * then answer QUOTE_SIGNATURE_INVALID: the client asks for a new quote. `down` brings the table
 * back empty, and the key NOT VALID: checked for new bookings only, since the quotes of those
 * booked meanwhile are in no table, and their quote_id still names their wallet hold.
 */
export class DropCheckoutQuotes1796120600000 implements MigrationInterface {
  name = 'DropCheckoutQuotes1796120600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE bookings DROP CONSTRAINT bookings_quote_id_fkey;
      DROP TABLE checkout_quotes;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
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
      ALTER TABLE bookings ADD CONSTRAINT bookings_quote_id_fkey
        FOREIGN KEY (quote_id) REFERENCES checkout_quotes (id) NOT VALID;
    `);
  }
}
