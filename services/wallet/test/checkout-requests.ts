import { randomUUID } from 'node:crypto';
import { createEnvelope, EventEnvelope, Topics } from '@rewards/contracts';
import { serviceHeaders } from '@rewards/testing';
import request from 'supertest';
import { EntityManager } from 'typeorm';
import { ReserveCheckoutFundsCommand } from '../src/reservations/reserve-checkout-funds.usecase';
import type { WalletHarness } from './wallet-harness';

/** A checkout hold the tests made through the wallet's internal route, as bookings makes it. */
export interface Hold {
  studentId: string;
  bookingId: string;
  reference: string;
}

/** A hold's instructor and fee rebate beside the credit, and the start of its reference. */
interface HoldOptions {
  prefix?: string;
  instructorId?: string;
  feeRebateCents?: number;
}

/** A hold of a student's credit alone, as the use case takes it. */
export function holdCommand(
  studentId: string,
  creditCents: number,
  reference = `quote-${randomUUID()}`,
): ReserveCheckoutFundsCommand {
  return {
    reference,
    bookingId: randomUUID(),
    studentId,
    creditCents,
    instructorId: null,
    feeRebateCents: 0,
    currency: 'USD',
  };
}

/** The booking-confirmed event of a hold's booking. */
export function confirmedBooking(hold: Hold): EventEnvelope<object> {
  return createEnvelope({
    type: Topics.BookingConfirmed,
    version: 1,
    producer: 'bookings',
    key: hold.bookingId,
    occurredAt: new Date(),
    payload: {
      bookingId: hold.bookingId,
      studentId: hold.studentId,
      instructorId: randomUUID(),
      price: { amountCents: 0, currency: 'USD' },
      startsAt: '2026-03-02T10:00:00.000Z',
      endsAt: '2026-03-02T11:00:00.000Z',
      confirmedAt: new Date().toISOString(),
    },
  });
}

/**
 * The wallet's checkout routes as bookings calls them (hold, capture), and what a hold wrote. It
 * reads the wallet's url when a request is built, so it can be made before the harness starts.
 */
export class CheckoutRequests {
  constructor(private readonly wallet: WalletHarness) {}

  /**
   * A hold of a student's credit, and of an instructor's fee rebate when `o` names them, not sent
   * yet: `send` puts it (again, for a replay). `o.prefix` orders references where a test needs
   * their locks taken in an order.
   */
  holdRequest(
    studentId: string,
    creditCents: number,
    o: HoldOptions = {},
  ): Hold & { send: () => request.Test } {
    const bookingId = randomUUID();
    const reference = `quote-${o.prefix ?? ''}${randomUUID()}`;
    const body = { bookingId, studentId, creditCents, currency: 'USD' };
    const rebate = { instructorId: o.instructorId, feeRebateCents: o.feeRebateCents };
    return {
      studentId,
      bookingId,
      reference,
      send: () =>
        request(this.wallet.url)
          .put(`/internal/reservations/${reference}`)
          .set(serviceHeaders('bookings', 'wallet'))
          .send({ ...body, ...rebate }),
    };
  }

  /** A hold made as holdRequest builds it, answered 200. */
  async holdFor(studentId: string, creditCents: number, o: HoldOptions = {}): Promise<Hold> {
    const { send, ...hold } = this.holdRequest(studentId, creditCents, o);
    await send().expect(200);
    return hold;
  }

  /** `POST /internal/reservations/capture`, as bookings calls it unless `headers` say otherwise. */
  captureBatch(
    body: unknown,
    headers: Record<string, string> = serviceHeaders('bookings', 'wallet'),
  ): request.Test {
    return request(this.wallet.url)
      .post('/internal/reservations/capture')
      .set(headers)
      .send(body as object);
  }

  /** How many capture transactions each hold has in the ledger. */
  async capturesOf(holds: Hold[]): Promise<number[]> {
    const key = (hold: Hold) => `checkout-capture:${hold.reference}`;
    const rows = await this.wallet.dataSource.query<Array<{ key: string; n: number }>>(
      `SELECT idempotency_key AS key, count(*)::int AS n FROM ledger_transactions
        WHERE kind = 'checkout_capture' AND idempotency_key = ANY($1) GROUP BY idempotency_key`,
      [holds.map(key)],
    );
    return holds.map((hold) => rows.find((r) => r.key === key(hold))?.n ?? 0);
  }

  /**
   * Another capturer's transaction under `hold`'s capture key, written in `tx` (its posting takes
   * `cents` from the student's reserved account to the platform's redeemed credit), the
   * reservation not marked captured. Answers the transaction's id.
   */
  async writeForeignCapture(tx: EntityManager, hold: Hold, cents: number): Promise<string> {
    const id = randomUUID();
    await tx.query(
      `INSERT INTO ledger_transactions (id, idempotency_key, kind, source_id, occurred_at, created_at)
       VALUES ($1, $2, 'checkout_capture', $3, now(), now())`,
      [id, `checkout-capture:${hold.reference}`, hold.bookingId],
    );
    await tx.query(
      `INSERT INTO ledger_postings (transaction_id, account_id, amount_cents, currency)
       SELECT $1, id, CASE WHEN owner_id IS NULL THEN $3::bigint ELSE -$3::bigint END, 'USD'
         FROM ledger_accounts
        WHERE currency = 'USD' AND ((owner_id = $2 AND kind = 'user_reserved')
               OR (owner_id IS NULL AND kind = 'platform_credit_redeemed'))`,
      [id, hold.studentId, cents],
    );
    return id;
  }

  /** What a hold's reference left: its ledger transactions and its reservations. */
  async holdWritten(reference: string): Promise<{ transactions: number; reservations: number }> {
    const [{ transactions, reservations }] = await this.wallet.dataSource.query<
      Array<{ transactions: number; reservations: number }>
    >(
      `SELECT (SELECT count(*)::int FROM ledger_transactions WHERE idempotency_key = $2)
                AS transactions,
              (SELECT count(*)::int FROM credit_reservations WHERE reference = $1) AS reservations`,
      [reference, `checkout-reserve:${reference}`],
    );
    return { transactions, reservations };
  }
}
