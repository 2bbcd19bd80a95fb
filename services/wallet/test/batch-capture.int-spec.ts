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
import { ReleaseLapsedReservationsJob } from '../src/reservations/release-lapsed-reservations.job';
import { CheckoutRequests, confirmedBooking, Hold } from './checkout-requests';
import { WalletHarness } from './wallet-harness';

/**
 * Checkout captures its holds in batches (`POST /internal/reservations/capture`), one
 * transaction a batch, while the consumer of booking-confirmed captures the same holds.
 */
describe('capturing checkout holds in batches', () => {
  const h = new WalletHarness();
  const checkout = new CheckoutRequests(h);
  let warnings: jest.SpyInstance;
  beforeAll(() => h.start([], { logStatements: true }));
  afterAll(() => h.stop());
  beforeEach(() => {
    warnings = jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => warnings.mockRestore());
  /** Expects the wallet to have logged no deadlock since the test began. */
  const expectNoDeadlockWarned = () =>
    expect(
      warnings.mock.calls.filter((args: unknown[]) => JSON.stringify(args).includes('deadlock')),
    ).toEqual([]);

  const asBookings = () => serviceHeaders('bookings', 'wallet');
  const captureBatch = (body: unknown, headers?: Record<string, string>) =>
    checkout.captureBatch(body, headers);

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

  /**
   * Captures `done` alone and has bookings cancel `cancelled`, for a mixed batch to meet them;
   * answers `done`'s line of that capture.
   */
  const captureAndCancel = async (done: Hold, cancelled: Hold): Promise<unknown> => {
    const earlier = await captureBatch({ references: [done.reference] }).expect(200);
    await request(h.url)
      .post(`/internal/reservations/${cancelled.reference}/return`)
      .set(asBookings())
      .send({ reason: 'booking_cancelled' })
      .expect(200);
    return (earlier.body as { captures: unknown[] }).captures[0];
  };

  /** Expects a replay of the batch to answer `body` again and to change nothing. */
  const expectReplayAnswers = async (references: string[], body: unknown) => {
    const before = await stateOf(references);
    const replay = await captureBatch({ references }).expect(200);
    expect(replay.body).toEqual(body);
    expect(await stateOf(references)).toEqual(before);
  };

  it('answers each reference of a mixed batch on its own line, and a replay the same, writing nothing', async () => {
    const student = await h.studentWithCredit(3000);
    const [held, done, cancelled] = [
      await checkout.holdFor(student, 500),
      await checkout.holdFor(student, 700),
      await checkout.holdFor(student, 900),
    ];
    const earlier = await captureAndCancel(done, cancelled);
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
        earlier,
      ],
    });
    // The refusals undid nothing: the held one is paid, the cancelled one given back.
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 1800,
      reservedCents: 0,
    });
    expect(await checkout.capturesOf([held, done, cancelled])).toEqual([1, 1, 0]);

    await expectReplayAnswers(references, first.body);
    await h.invariantsHold();
  });

  it('captures a batch while a booking-confirmed run over the same student waits, without a deadlock or a second capture', async () => {
    const [a, b] = [await h.studentWithCredit(2000), await h.studentWithCredit(2000)];
    const [a1, b1, a2] = [
      await checkout.holdFor(a, 300, { prefix: '1-' }),
      await checkout.holdFor(b, 400, { prefix: '2-' }),
      await checkout.holdFor(a, 500, { prefix: '3-' }),
    ];
    // Locks are taken in reference order: the run locks a1, then queues for b1 behind the test; the batch then queues for a1
    // behind the run. Taken hold by hold, the batch would hold a2 and a's reserved account
    // while it waits, and the run, once it has b1, would wait for that account.
    const { batch } = await h.whileLocked(
      'SELECT 1 FROM credit_reservations WHERE reference = $1 FOR UPDATE',
      [b1.reference],
      async () => {
        await h.sendTogether([confirmedBooking(a1), confirmedBooking(b1)], 0);
        await h.lockWaitersReach(1);
        const batch = captureBatch({ references: [a2.reference, a1.reference] }).then((res) => res);
        await h.lockWaitersReach(2);
        return { batch };
      },
    );
    const answer = await batch;
    expect(answer.status).toBe(200);
    expect(
      (answer.body as { captures: Array<{ outcome: string }> }).captures.map((c) => c.outcome),
    ).toEqual(['captured', 'captured']);
    await eventually(async () =>
      expect(await checkout.capturesOf([a1, b1, a2])).toEqual([1, 1, 1]),
    );
    expectNoDeadlockWarned();
    expect((await h.wallet(a)).balances[0]).toMatchObject({
      availableCents: 1200,
      reservedCents: 0,
    });
    expect((await h.wallet(b)).balances[0]).toMatchObject({
      availableCents: 1600,
      reservedCents: 0,
    });
    await h.invariantsHold();
  });

  /** A hold of a student's credit and an instructor's fee rebate. */
  const holdWithRebate = (
    studentId: string,
    creditCents: number,
    instructorId: string,
    feeRebateCents: number,
  ): Promise<Hold> => checkout.holdFor(studentId, creditCents, { instructorId, feeRebateCents });

  /** Each capture's postings, in the order written: account kind, owner and amount. */
  const capturePostings = async (holds: Hold[]) =>
    Promise.all(
      holds.map((hold) =>
        h.dataSource.query<Array<{ kind: string; owner: string | null; cents: string }>>(
          `SELECT a.kind, a.owner_id AS owner, p.amount_cents AS cents
             FROM credit_reservations r
             JOIN ledger_postings p ON p.transaction_id = r.capture_transaction_id
             JOIN ledger_accounts a ON a.id = p.account_id
            WHERE r.reference = $1 AND r.status = 'captured'
              AND r.credit_shortfall_cents = 0 AND r.fee_rebate_shortfall_cents = 0
            ORDER BY p.id`,
          [hold.reference],
        ),
      ),
    );

  it('captures every held reference of a batch in one statement, a batch of six costing what one does', async () => {
    const [a, b] = [await h.studentWithCredit(3000), await h.studentWithCredit(3000)];
    const instructor = await h.instructorWithRebate(2000);
    // Both platform accounts opened and seen before the counted batches.
    await captureBatch({
      references: [(await holdWithRebate(a, 100, instructor, 100)).reference],
    }).expect(200);
    const alone = await checkout.holdFor(b, 100);
    const holds = [
      await checkout.holdFor(a, 300),
      await checkout.holdFor(b, 400),
      await holdWithRebate(a, 500, instructor, 250),
      await checkout.holdFor(a, 600),
      await checkout.holdFor(b, 700),
      await holdWithRebate(b, 0, instructor, 150),
    ];

    const one = await h.statements.requestsOf(() =>
      captureBatch({ references: [alone.reference] }).expect(200),
    );
    const res = await captureBatch({ references: holds.map((hold) => hold.reference) }).expect(200);
    const six = h.statements.takeRequests();
    // One statement outside a transaction: the holds locked, their accounts locked, every
    // capture written.
    expect(one).toHaveLength(1);
    expect(six).toHaveLength(1);
    expect(six[0]).toMatch(/^WITH batch AS/);
    expect(six[0]).toContain('INSERT INTO ledger_transactions');
    expect(six[0]).toContain('UPDATE credit_reservations');
    expect(res.body).toEqual({
      captures: holds.map((hold) => ({
        reference: hold.reference,
        outcome: 'captured',
        reservation: expect.objectContaining({
          reference: hold.reference,
          bookingId: hold.bookingId,
          status: 'captured',
          releaseReason: null,
        }),
      })),
    });
    // Each capture as CaptureReservation posts it alone: from the reserved account to the
    // platform, the credit's legs before the fee rebate's.
    const cents = (kind: string, owner: string | null, amount: number) => ({
      kind,
      owner,
      cents: String(amount),
    });
    const reserved = (owner: string, amount: number) => cents('user_reserved', owner, -amount);
    const credit = (amount: number) => cents('platform_credit_redeemed', null, amount);
    const rebate = (amount: number) => cents('platform_fee_rebate_redeemed', null, amount);
    expect(await capturePostings(holds)).toEqual([
      [reserved(a, 300), credit(300)],
      [reserved(b, 400), credit(400)],
      [reserved(a, 500), credit(500), reserved(instructor, 250), rebate(250)],
      [reserved(a, 600), credit(600)],
      [reserved(b, 700), credit(700)],
      [reserved(instructor, 150), rebate(150)],
    ]);
    expect(await checkout.capturesOf(holds)).toEqual(holds.map(() => 1));
    expect((await h.wallet(a)).balances[0]).toMatchObject({
      availableCents: 1500,
      reservedCents: 0,
    });
    expect((await h.wallet(b)).balances[0]).toMatchObject({
      availableCents: 1800,
      reservedCents: 0,
    });
    expect((await h.wallet(instructor)).balances[0]).toMatchObject({
      feeRebateCents: 1500,
      reservedCents: 0,
    });

    // A replay: the one statement finds the holds captured and writes nothing; then BEGIN, the
    // holds found captured (not locked), COMMIT; nothing written.
    const references = holds.map((hold) => hold.reference);
    const before = await stateOf(references);
    h.statements.takeRequests();
    expect((await captureBatch({ references }).expect(200)).body).toEqual(res.body);
    expect(h.statements.takeRequests()).toHaveLength(4);
    expect(await stateOf(references)).toEqual(before);
    await h.invariantsHold();
  });

  it('captures the held references of a mixed batch together and the others one by one, answering each as before', async () => {
    const student = await h.studentWithCredit(5000);
    // Lapsed and released by the expiry job before the other holds are made.
    const lapsed = await checkout.holdFor(student, 800);
    h.clock.advance(h.config.RESERVATION_TTL_MS + 1);
    try {
      await h.get(ReleaseLapsedReservationsJob).runOnce();
    } finally {
      h.clock.advance(-(h.config.RESERVATION_TTL_MS + 1));
    }
    const [held1, done, cancelled, held2] = [
      await checkout.holdFor(student, 500),
      await checkout.holdFor(student, 700),
      await checkout.holdFor(student, 900),
      await checkout.holdFor(student, 400),
    ];
    const earlier = await captureAndCancel(done, cancelled);
    const unknown = `quote-${randomUUID()}`;
    const references = [
      held1.reference,
      unknown,
      lapsed.reference,
      cancelled.reference,
      done.reference,
      held2.reference,
    ];
    h.statements.takeRequests();

    const first = await captureBatch({ references }).expect(200);
    const captured = (hold: Hold, creditCents: number, releaseReason: string | null) => ({
      reference: hold.reference,
      outcome: 'captured',
      reservation: {
        reference: hold.reference,
        bookingId: hold.bookingId,
        status: 'captured',
        credit: { amountCents: creditCents, currency: 'USD' },
        feeRebate: { amountCents: 0, currency: 'USD' },
        expiresAt: expect.any(String),
        releaseReason,
      },
    });
    expect(first.body).toEqual({
      captures: [
        captured(held1, 500, null),
        {
          reference: unknown,
          outcome: 'refused',
          code: 'RESERVATION_NOT_FOUND',
          message: `no reservation ${unknown}`,
        },
        captured(lapsed, 800, 'expired'),
        {
          reference: cancelled.reference,
          outcome: 'refused',
          code: 'RESERVATION_RELEASED',
          message: `reservation ${cancelled.reference} was released (booking_cancelled); it cannot be captured`,
        },
        earlier,
        captured(held2, 400, null),
      ],
    });
    // The one statement wrote nothing (the batch is not plainly held), then in the transaction:
    // the two held ones in one statement; the lapsed one posted alone.
    const [atOnce, ...statements] = h.statements.takeRequests();
    expect(atOnce).toMatch(/^WITH batch AS/);
    expect(statements[0]).toBe('START TRANSACTION');
    expect(statements.filter((sql) => sql.includes('UPDATE credit_reservations c'))).toHaveLength(
      1,
    );
    expect(
      statements.filter((sql) => sql.includes('INSERT INTO ledger_transactions')),
    ).toHaveLength(2);
    expect(await checkout.capturesOf([held1, lapsed, done, cancelled, held2])).toEqual([
      1, 1, 1, 0, 1,
    ]);
    // 5000 - 800 (lapsed, from what was available) - 500 - 700 - 400.
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 2600,
      reservedCents: 0,
    });
    expect(await h.debt(student)).toBe(0);

    await expectReplayAnswers(references, first.body);
    await h.invariantsHold();
  });

  it('captures alone a held reference whose ledger key was taken meanwhile, answering the transaction that holds it', async () => {
    const student = await h.studentWithCredit(2000);
    const [held, taken] = [
      await checkout.holdFor(student, 300),
      await checkout.holdFor(student, 500),
    ];
    // Still held after the batch, so that the reserved account has enough for the one taken.
    await checkout.holdFor(student, 600);
    // Another capturer's transaction under the key, committed, its row not marked yet.
    const winner = await h.dataSource.transaction((tx) =>
      checkout.writeForeignCapture(tx, taken, 500),
    );

    const res = await captureBatch({ references: [held.reference, taken.reference] }).expect(200);
    expect(
      (res.body as { captures: Array<{ outcome: string }> }).captures.map((c) => c.outcome),
    ).toEqual(['captured', 'captured']);
    const rows = await h.dataSource.query<Array<{ status: string; tx: string }>>(
      `SELECT status, capture_transaction_id AS tx FROM credit_reservations
        WHERE reference = $1`,
      [taken.reference],
    );
    expect(rows).toEqual([{ status: 'captured', tx: winner }]);
    expect(await checkout.capturesOf([held, taken])).toEqual([1, 1]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 600,
      reservedCents: 600,
    });
    await h.invariantsHold();
  });

  it('captures a batch while a hold of the same student waits for its accounts, both applied', async () => {
    const student = await h.studentWithCredit(3000);
    const [first, second] = [
      await checkout.holdFor(student, 600),
      await checkout.holdFor(student, 700),
    ];
    // The test holds the student's accounts: the batch's prelude and a new hold both queue.
    const { batch, hold } = await h.whileLocked(
      'SELECT 1 FROM ledger_accounts WHERE owner_id = $1 ORDER BY id FOR UPDATE',
      [student],
      async () => {
        const batch = captureBatch({ references: [first.reference, second.reference] }).then(
          (r) => r,
        );
        await h.lockWaitersReach(1);
        const hold = checkout.holdFor(student, 800);
        await h.lockWaitersReach(2);
        return { batch, hold };
      },
    );
    expect((await batch).status).toBe(200);
    const third = await hold;
    expect(await checkout.capturesOf([first, second, third])).toEqual([1, 1, 0]);
    expectNoDeadlockWarned();
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 900,
      reservedCents: 800,
    });
    await h.invariantsHold();
  });

  it('answers bookings alone', async () => {
    const student = await h.studentWithCredit(500);
    const hold = await checkout.holdFor(student, 300);
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
    expect(await checkout.capturesOf([hold])).toEqual([0]);
    expect((await h.wallet(student)).balances[0]).toMatchObject({ reservedCents: 300 });
  });

  it('refuses a malformed batch whole, capturing nothing', async () => {
    const student = await h.studentWithCredit(500);
    const hold = await checkout.holdFor(student, 300);
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
    expect(await checkout.capturesOf([hold])).toEqual([0]);
    // A hundred is allowed.
    const full = await captureBatch({ references: [hold.reference, ...many.slice(2)] }).expect(200);
    expect((full.body as { captures: unknown[] }).captures).toHaveLength(100);
    expect(await checkout.capturesOf([hold])).toEqual([1]);
    await h.invariantsHold();
  });
});
