import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  callerHeaders,
  errorOf,
  eventually,
  forgedCallerHeaders,
  serviceHeaders,
} from '@rewards/testing';
import request from 'supertest';
import { QueryRunner } from 'typeorm';
import { checkLedgerInvariants } from '../src/ledger/check-invariants';
import { confirmedBooking, Hold, WalletHarness } from './wallet-harness';

/**
 * Checkout captures its holds in batches (`POST /internal/reservations/capture`), one
 * transaction a batch, while the consumer of booking-confirmed captures the same holds.
 */
describe('capturing checkout holds in batches', () => {
  const h = new WalletHarness();
  let warnings: jest.SpyInstance;
  beforeAll(() => h.start([]));
  afterAll(() => h.stop());
  beforeEach(() => {
    warnings = jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => warnings.mockRestore());

  const asBookings = () => serviceHeaders('bookings', 'wallet');
  const captureBatch = (body: unknown, headers: Record<string, string> = asBookings()) =>
    request(h.url)
      .post('/internal/reservations/capture')
      .set(headers)
      .send(body as object);

  /** What the ledger and the reservations hold for these references. */
  const stateOf = async (references: string[]) => ({
    transactions: await h.dataSource.query<unknown[]>(
      'SELECT id, kind, idempotency_key FROM ledger_transactions ORDER BY id',
    ),
    reservations: await h.dataSource.query<unknown[]>(
      `SELECT reference, status, capture_transaction_id, release_reason, updated_at
         FROM credit_reservations WHERE reference = ANY($1) ORDER BY reference`,
      [references],
    ),
  });

  /** How many capture transactions each reference has in the ledger. */
  const capturesOf = async (holds: Hold[]): Promise<number[]> => {
    const rows = await h.dataSource.query<Array<{ key: string; n: number }>>(
      `SELECT idempotency_key AS key, count(*)::int AS n FROM ledger_transactions
        WHERE kind = 'checkout_capture' AND idempotency_key = ANY($1) GROUP BY idempotency_key`,
      [holds.map((hold) => `checkout-capture:${hold.reference}`)],
    );
    return holds.map(
      (hold) => rows.find((r) => r.key === `checkout-capture:${hold.reference}`)?.n ?? 0,
    );
  };

  const invariantsHold = async () =>
    expect((await checkLedgerInvariants(h.dataSource, new Date())).ok).toBe(true);

  it('answers each reference of a mixed batch on its own line, and a replay the same, writing nothing', async () => {
    const student = await h.studentWithCredit(3000);
    const [held, done, cancelled] = [
      await h.holdFor(student, 500),
      await h.holdFor(student, 700),
      await h.holdFor(student, 900),
    ];
    const earlier = await captureBatch({ references: [done.reference] }).expect(200);
    await request(h.url)
      .post(`/internal/reservations/${cancelled.reference}/return`)
      .set(asBookings())
      .send({ reason: 'booking_cancelled' })
      .expect(200);
    const unknown = `quote-${randomUUID()}`;
    const references = [unknown, held.reference, cancelled.reference, done.reference];

    const first = await captureBatch({ references }).expect(200);
    expect(first.body).toEqual({
      captures: [
        {
          reference: unknown,
          outcome: 'refused',
          code: 'RESERVATION_NOT_FOUND',
          message: expect.any(String),
        },
        {
          reference: held.reference,
          outcome: 'captured',
          reservation: expect.objectContaining({
            reference: held.reference,
            bookingId: held.bookingId,
            status: 'captured',
            credit: { amountCents: 500, currency: 'USD' },
          }),
        },
        {
          reference: cancelled.reference,
          outcome: 'refused',
          code: 'RESERVATION_RELEASED',
          message: expect.any(String),
        },
        // As the first capture answered it.
        earlier.body.captures[0],
      ],
    });
    // The refusals undid nothing: the held one is paid, the cancelled one given back.
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 1800,
      reservedCents: 0,
    });
    expect(await capturesOf([held, done, cancelled])).toEqual([1, 1, 0]);

    const before = await stateOf(references);
    const replay = await captureBatch({ references }).expect(200);
    expect(replay.body).toEqual(first.body);
    expect(await stateOf(references)).toEqual(before);
    await invariantsHold();
  });

  it('captures a batch while a booking-confirmed run over the same student waits, without a deadlock or a second capture', async () => {
    const [a, b] = [await h.studentWithCredit(2000), await h.studentWithCredit(2000)];
    const [a1, b1, a2] = [
      await h.holdFor(a, 300, '1-'),
      await h.holdFor(b, 400, '2-'),
      await h.holdFor(a, 500, '3-'),
    ];
    // Locks are taken in reference order: the run locks a1, then queues for b1 behind the test; the batch then queues for a1
    // behind the run. Taken hold by hold, the batch would hold a2 and a's reserved account
    // while it waits, and the run, once it has b1, would wait for that account.
    const blocker: QueryRunner = h.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    let batch: Promise<request.Response>;
    try {
      await blocker.query('SELECT 1 FROM credit_reservations WHERE reference = $1 FOR UPDATE', [
        b1.reference,
      ]);
      await h.sendTogether([confirmedBooking(a1), confirmedBooking(b1)], 0);
      await h.lockWaitersReach(1);
      batch = captureBatch({ references: [a2.reference, a1.reference] }).then((res) => res);
      await h.lockWaitersReach(2);
    } finally {
      await blocker.commitTransaction();
      await blocker.release();
    }
    const answer = await batch;
    expect(answer.status).toBe(200);
    expect(
      (answer.body as { captures: Array<{ outcome: string }> }).captures.map((c) => c.outcome),
    ).toEqual(['captured', 'captured']);
    await eventually(async () => expect(await capturesOf([a1, b1, a2])).toEqual([1, 1, 1]));
    expect(
      warnings.mock.calls.filter((args: unknown[]) => JSON.stringify(args).includes('deadlock')),
    ).toEqual([]);
    expect((await h.wallet(a)).balances[0]).toMatchObject({
      availableCents: 1200,
      reservedCents: 0,
    });
    expect((await h.wallet(b)).balances[0]).toMatchObject({
      availableCents: 1600,
      reservedCents: 0,
    });
    await invariantsHold();
  });

  it('answers bookings alone', async () => {
    const student = await h.studentWithCredit(500);
    const hold = await h.holdFor(student, 300);
    const refusals: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'UNAUTHENTICATED'],
      [forgedCallerHeaders(student, 'admin'), 401, 'UNAUTHENTICATED'],
      [callerHeaders('wallet', student, 'admin'), 403, 'FORBIDDEN'],
      [serviceHeaders('payouts', 'wallet'), 403, 'FORBIDDEN'],
      [serviceHeaders('referrals', 'wallet'), 403, 'FORBIDDEN'],
    ];
    for (const [headers, status, code] of refusals) {
      const res = await captureBatch({ references: [hold.reference] }, headers).expect(status);
      expect(errorOf(res).code).toBe(code);
    }
    expect(await capturesOf([hold])).toEqual([0]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({ reservedCents: 300 });
  });

  it('refuses a malformed batch whole, capturing nothing', async () => {
    const student = await h.studentWithCredit(500);
    const hold = await h.holdFor(student, 300);
    const many = Array.from({ length: 101 }, () => `quote-${randomUUID()}`);
    const bodies: unknown[] = [
      {},
      { references: [] },
      { references: hold.reference },
      { references: [hold.reference, ...many.slice(1)] },
      { references: [hold.reference, hold.reference] },
      { references: [hold.reference, 'with space'] },
      { references: [hold.reference, ''] },
      { references: [hold.reference, 'q'.repeat(201)] },
      { references: [hold.reference, 42] },
      { references: [hold.reference], also: true },
    ];
    for (const body of bodies) {
      const res = await captureBatch(body);
      expect([res.status, JSON.stringify(body).slice(0, 60)]).toEqual([
        422,
        JSON.stringify(body).slice(0, 60),
      ]);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    expect(await capturesOf([hold])).toEqual([0]);
    // A hundred is allowed.
    const full = await captureBatch({ references: [hold.reference, ...many.slice(2)] }).expect(200);
    expect((full.body as { captures: unknown[] }).captures).toHaveLength(100);
    expect(await capturesOf([hold])).toEqual([1]);
    await invariantsHold();
  });
});
