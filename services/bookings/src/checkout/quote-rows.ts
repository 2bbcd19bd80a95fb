import { DataSource, EntityManager } from 'typeorm';
import { Account } from '../accounts/account.entity';
import { ACCOUNT_COLUMNS, AccountRow, accountFromRow } from '../bookings/lesson-draft';
import { CheckoutQuote } from './checkout-quote.entity';

// Plain parameterized SQL with explicit columns: a quote is written and read once per checkout,
// and TypeORM's query builder and entity mapping cost more CPU than the statement itself.

/** A checkout_quotes row as Postgres answers it, its columns prefixed `q_` beside others. */
interface QuoteRow {
  q_id: string;
  q_booking_id: string;
  q_student_id: string;
  q_instructor_id: string;
  q_starts_at: Date;
  q_ends_at: Date;
  q_currency: string;
  q_list_price_cents: number;
  q_benefit_kind: CheckoutQuote['benefitKind'];
  q_benefit_cents: number;
  q_benefit_reason: string;
  q_total_cents: number;
  q_platform_fee_cents: number;
  q_fee_rebate_cents: number;
  q_expires_at: Date;
  q_signature: string;
  q_created_at: Date;
}

/**
 * Stores a quote. Its commit does not wait for the WAL to reach disk (synchronous_commit off for
 * this one transaction): a quote moves no money, and one lost to a database crash in the
 * following moment is answered QUOTE_NOT_FOUND, so the client asks again. Anything durable made
 * from it (a booking) commits later in the WAL, and its flush carries the quote's with it.
 * Never inside a transaction, where the setting would reach everything else it commits: hence
 * the DataSource, whose queries each commit alone.
 */
export async function insertQuote(dataSource: DataSource, q: CheckoutQuote): Promise<void> {
  await dataSource.query(
    `INSERT INTO checkout_quotes (id, booking_id, student_id, instructor_id, starts_at, ends_at,
       currency, list_price_cents, benefit_kind, benefit_cents, benefit_reason, total_cents,
       platform_fee_cents, fee_rebate_cents, expires_at, signature, created_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17
       FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait`,
    [
      q.id,
      q.bookingId,
      q.studentId,
      q.instructorId,
      q.startsAt,
      q.endsAt,
      q.currency,
      q.listPriceCents,
      q.benefitKind,
      q.benefitCents,
      q.benefitReason,
      q.totalCents,
      q.platformFeeCents,
      q.feeRebateCents,
      q.expiresAt,
      q.signature,
      q.createdAt,
    ],
  );
}

export interface QuoteToConfirm {
  quote: CheckoutQuote;
  /** Whether a booking was made from it already (a confirmation repeated). */
  booked: boolean;
  /** The quote's student and instructor accounts, those that exist. */
  accounts: Account[];
}

/**
 * What confirming a quote reads, in one statement before anything is held: the quote, whether
 * it was booked, and its two accounts (one row each; one row with null account columns when
 * neither exists). Null when there is no such quote.
 */
export async function readQuoteToConfirm(
  manager: EntityManager,
  quoteId: string,
): Promise<QuoteToConfirm | null> {
  const rows = await manager.query<Array<QuoteRow & { booked: boolean } & Partial<AccountRow>>>(
    `SELECT q.id AS q_id, q.booking_id AS q_booking_id, q.student_id AS q_student_id,
            q.instructor_id AS q_instructor_id, q.starts_at AS q_starts_at, q.ends_at AS q_ends_at,
            q.currency AS q_currency, q.list_price_cents AS q_list_price_cents,
            q.benefit_kind AS q_benefit_kind, q.benefit_cents AS q_benefit_cents,
            q.benefit_reason AS q_benefit_reason, q.total_cents AS q_total_cents,
            q.platform_fee_cents AS q_platform_fee_cents, q.fee_rebate_cents AS q_fee_rebate_cents,
            q.expires_at AS q_expires_at, q.signature AS q_signature, q.created_at AS q_created_at,
            EXISTS (SELECT 1 FROM bookings b WHERE b.quote_id = q.id) AS booked,
            ${ACCOUNT_COLUMNS}
       FROM checkout_quotes q
       LEFT JOIN accounts a ON a.id IN (q.student_id, q.instructor_id)
      WHERE q.id = $1`,
    [quoteId],
  );
  const [first] = rows;
  if (!first) return null;
  return {
    quote: quoteFromRow(first),
    booked: first.booked,
    accounts: rows.flatMap((r) => (r.id ? [accountFromRow(r as AccountRow)] : [])),
  };
}

function quoteFromRow(r: QuoteRow): CheckoutQuote {
  return Object.assign(new CheckoutQuote(), {
    id: r.q_id,
    bookingId: r.q_booking_id,
    studentId: r.q_student_id,
    instructorId: r.q_instructor_id,
    startsAt: r.q_starts_at,
    endsAt: r.q_ends_at,
    currency: r.q_currency,
    listPriceCents: r.q_list_price_cents,
    benefitKind: r.q_benefit_kind,
    benefitCents: r.q_benefit_cents,
    benefitReason: r.q_benefit_reason,
    totalCents: r.q_total_cents,
    platformFeeCents: r.q_platform_fee_cents,
    feeRebateCents: r.q_fee_rebate_cents,
    expiresAt: r.q_expires_at,
    signature: r.q_signature,
    createdAt: r.q_created_at,
  });
}
