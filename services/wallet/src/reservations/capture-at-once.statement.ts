import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { EntityManager, QueryFailedError } from 'typeorm';
import { ledgerInsertSelectedCtes } from '../ledger/ledger-insert';
import { LedgerTransactionKind } from '../ledger/ledger-transaction.entity';
import { CreditReservation, fromRow, ReservationRow } from './credit-reservation';
import { captureKey } from './reservation-keys';

const CAPTURE: LedgerTransactionKind = 'checkout_capture';

/**
 * The foreign keys a capture's transaction id must meet once written: its postings' and its
 * reservation's. The statement names one transaction per reference, so one whose key a writer it
 * could not see took meanwhile (its insert skipped) breaks them, and the statement with it.
 */
const CAPTURE_TRANSACTION_KEYS = new Set([
  'ledger_postings_transaction_id_fkey',
  'credit_reservations_capture_transaction_id_fkey',
]);

/** Whether `err` is a capture's transaction missing: a key taken by a writer the statement missed. */
function captureKeyTaken(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const cause = err.driverError as { code?: string; constraint?: string };
  return cause.code === '23503' && CAPTURE_TRANSACTION_KEYS.has(cause.constraint ?? '');
}

/**
 * A batch of plainly held reservations captured in one statement, sent outside any transaction
 * (a statement is atomic, and a capture announces nothing): what CaptureRunLocks and
 * CaptureHeldReservations do in four round trips, BEGIN and COMMIT included.
 */
@Injectable()
export class CaptureAtOnce {
  constructor(private readonly clock: Clock) {}

  /**
   * When every reference is a held reservation and no capture key is used, locks them in
   * reference order, then the reserved accounts their captures take from in id order with their
   * balances; and when every one is still held and every account holds what is taken from it,
   * writes each capture (its ledger transaction, with the legs heldCaptureLegs gives, and the
   * reservation marked captured by it). Answers the reservations captured, in the batch's order,
   * or null when it wrote nothing, for the full path to answer the batch whole: a reference
   * unknown, captured, released or repeated, a key used, a platform account not opened, a
   * balance short, or a concurrent writer that changed any of it while the statement waited.
   */
  async capture(db: EntityManager, references: string[]): Promise<CreditReservation[] | null> {
    const now = this.clock.now();
    // Each capture's transaction is one of ledgerInsertSelectedCtes' rows; the legs, the source
    // and the accounts need the reservation's row, and are the statement's own.
    const ledger = ledgerInsertSelectedCtes({
      transactions: `SELECT b.transaction_id, b.idempotency_key, $4, h.booking_id::text, NULL,
                            $5::timestamptz, $5::timestamptz
                       FROM batch b JOIN held h ON h.reference = b.reference
                      WHERE (SELECT ok FROM ready)`,
      // Not joined to `t`: a transaction whose insert was skipped leaves its postings without
      // one, which the foreign key refuses, and the whole statement with it.
      legs: `SELECT transaction_id, account_id, amount_cents, currency FROM legs
              WHERE EXISTS (SELECT 1 FROM t)
              ORDER BY n, k`,
    });
    // Each step reads the one before it whole (a count, an aggregate, a condition without
    // columns), so they run in order: the reservations locked, then the reserved accounts, then
    // the writes. That is the order of every capturer (CaptureRunLocks, CaptureReservation) and
    // of every other writer of both: a hold or a return of one takes the reservation before
    // the user accounts in id order, a hold of a new reference locks none that exists. The
    // postings' trigger moves only reserved accounts locked here (platform ones keep no
    // balance), so it waits for none. Hence no deadlock. The reservations and balances are the
    // rows' latest versions (a row lock reads them); the rest (ledger keys, platform accounts)
    // is the statement's snapshot, taken before any wait: a capturer always holds the
    // reservation's lock, so a key is taken under it (seen here) or after it (captured, seen).
    let rows: ReservationRow[];
    try {
      rows = await db.query<ReservationRow[]>(
        `WITH batch AS (
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[]) WITH ORDINALITY
                    AS b(reference, transaction_id, idempotency_key, n)
         ), plain AS MATERIALIZED (
           SELECT count(*) = cardinality($1::text[])
                  AND coalesce(bool_and(c.status = 'held'), false)
                  AND NOT EXISTS (SELECT 1 FROM ledger_transactions
                                   WHERE idempotency_key = ANY($3::text[])) AS ok
             FROM credit_reservations c WHERE c.reference = ANY($1::text[])
         ), held AS MATERIALIZED (
           SELECT c.* FROM credit_reservations c
            WHERE c.reference = ANY($1::text[]) AND (SELECT ok FROM plain)
            ORDER BY c.reference
              FOR UPDATE OF c
         ), still_held AS MATERIALIZED (
           SELECT count(*) = cardinality($1::text[])
                  AND coalesce(bool_and(status = 'held'), false) AS ok
             FROM held
         ), debits AS MATERIALIZED (
           SELECT d.owner_id, d.currency, sum(d.cents) AS cents
             FROM (SELECT student_id AS owner_id, currency, credit_cents AS cents
                     FROM held WHERE credit_cents > 0
                   UNION ALL
                   SELECT instructor_id, currency, fee_rebate_cents
                     FROM held WHERE fee_rebate_cents > 0 AND instructor_id IS NOT NULL) d
            WHERE (SELECT ok FROM still_held)
            GROUP BY d.owner_id, d.currency
         ), users AS MATERIALIZED (
           SELECT a.id FROM ledger_accounts a
             JOIN debits d ON a.owner_id = d.owner_id AND a.kind = 'user_reserved'
                          AND a.currency = d.currency
         ), locked AS MATERIALIZED (
           SELECT a.id, a.owner_id, a.currency, a.balance_cents
             FROM ledger_accounts a
            WHERE a.id IN (SELECT id FROM users)
              AND (SELECT count(*) FROM users) = (SELECT count(*) FROM debits)
            ORDER BY a.id
              FOR UPDATE OF a
         ), funded AS MATERIALIZED (
           SELECT count(*) > 0 AND count(*) = (SELECT count(*) FROM debits)
                  AND coalesce(bool_and(a.balance_cents >= d.cents), false) AS ok
             FROM locked a JOIN debits d ON a.owner_id = d.owner_id AND a.currency = d.currency
         ), platform AS (
           SELECT id, kind, currency FROM ledger_accounts
            WHERE owner_id IS NULL
              AND kind IN ('platform_credit_redeemed', 'platform_fee_rebate_redeemed')
         ), legs AS MATERIALIZED (
           -- heldCaptureLegs: each held amount from its reserved account to the platform, the
           -- credit's legs before the fee rebate's.
           SELECT b.n, x.k, b.transaction_id, x.account_id, x.amount_cents, h.currency
             FROM held h JOIN batch b ON b.reference = h.reference
            CROSS JOIN LATERAL (
                  SELECT 1, (SELECT id FROM locked
                              WHERE owner_id = h.student_id AND currency = h.currency),
                         -h.credit_cents
                   WHERE h.credit_cents > 0
                  UNION ALL
                  SELECT 2, (SELECT id FROM platform
                              WHERE kind = 'platform_credit_redeemed' AND currency = h.currency),
                         h.credit_cents
                   WHERE h.credit_cents > 0
                  UNION ALL
                  SELECT 3, (SELECT id FROM locked
                              WHERE owner_id = h.instructor_id AND currency = h.currency),
                         -h.fee_rebate_cents
                   WHERE h.fee_rebate_cents > 0 AND h.instructor_id IS NOT NULL
                  UNION ALL
                  SELECT 4, (SELECT id FROM platform
                              WHERE kind = 'platform_fee_rebate_redeemed'
                                AND currency = h.currency),
                         h.fee_rebate_cents
                   WHERE h.fee_rebate_cents > 0 AND h.instructor_id IS NOT NULL
                 ) AS x(k, account_id, amount_cents)
            WHERE (SELECT ok FROM funded)
         ), ready AS MATERIALIZED (
           SELECT (SELECT ok FROM funded)
                  AND NOT EXISTS (SELECT 1 FROM legs WHERE account_id IS NULL) AS ok
         ), ${ledger}, captured AS (
           UPDATE credit_reservations c
              SET status = 'captured', capture_transaction_id = b.transaction_id,
                  credit_shortfall_cents = 0, fee_rebate_shortfall_cents = 0, updated_at = $5
             FROM batch b
            WHERE c.reference = b.reference AND EXISTS (SELECT 1 FROM t)
           RETURNING c.*
         )
         SELECT * FROM captured`,
        [references, references.map(() => randomUUID()), references.map(captureKey), CAPTURE, now],
      );
    } catch (err) {
      if (captureKeyTaken(err)) return null;
      throw err;
    }
    if (rows.length === 0) return null;
    if (rows.length !== references.length) {
      throw new Error(`captured ${rows.length} of a batch of ${references.length}`);
    }
    const captured = new Map(rows.map((row) => [row.reference, fromRow(row)]));
    return references.map((reference) => {
      const r = captured.get(reference);
      if (!r) throw new Error(`reservation ${reference} was not captured with its batch`);
      return r;
    });
  }
}
