import { randomUUID } from 'node:crypto';
import { createEnvelope, EventEnvelope, Topics } from '@rewards/contracts';
import { serviceHeaders } from '@rewards/testing';
import request from 'supertest';
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
