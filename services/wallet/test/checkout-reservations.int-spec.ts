import { randomUUID } from 'node:crypto';
import { createEnvelope, Topics } from '@rewards/contracts';
import {
  callerHeaders,
  errorOf,
  eventually,
  forgedCallerHeaders,
  serviceHeaders,
} from '@rewards/testing';
import request from 'supertest';
import { checkLedgerInvariants } from '../src/ledger/check-invariants';
import { ReleaseLapsedReservationsJob } from '../src/reservations/release-lapsed-reservations.job';
import { confirmedBooking } from './checkout-requests';
import { unlocked, voided, WalletHarness } from './wallet-harness';

/** Checkout holds through the wallet's internal HTTP API, as bookings calls it. */
describe('wallet checkout reservations', () => {
  const h = new WalletHarness();
  beforeAll(() => h.start([Topics.WalletDebited, Topics.WalletCredited]));
  afterAll(() => h.stop());

  const creditOf = async (
    userId: string,
    cents: number,
    expiresAt = '2026-09-01T10:00:00.000Z',
  ) => {
    const event = unlocked(randomUUID(), userId, cents, 'student_referral_credit', {
      unlockedAt: '2026-03-01T00:00:00.000Z',
      expiresAt,
    });
    await h.send(event);
    await eventually(() => h.consumed(event.id));
    return (event.payload as { rewardId: string }).rewardId;
  };
  // Every call signed as bookings, the one service these routes answer (signed per call: a
  // token lives a minute).
  const asBookings = () => serviceHeaders('bookings', 'wallet');
  const reserve = (reference: string, body: Record<string, unknown>) =>
    request(h.url)
      .put(`/internal/reservations/${reference}`)
      .set(asBookings())
      .send({ currency: 'USD', ...body });
  // Captured in a batch of one: its line says what came of it.
  const capture = (reference: string) =>
    request(h.url)
      .post('/internal/reservations/capture')
      .set(asBookings())
      .send({ references: [reference] });
  const giveBack = (reference: string, reason = 'booking_cancelled') =>
    request(h.url)
      .post(`/internal/reservations/${reference}/return`)
      .set(asBookings())
      .send({ reason });
  const funds = async (studentId: string, instructorId?: string) =>
    (
      await request(h.url)
        .get('/internal/checkout-funds')
        .set(asBookings())
        .query({ studentId, currency: 'USD', ...(instructorId ? { instructorId } : {}) })
        .expect(200)
    ).body as { creditCents: number; feeRebateCents: number };
  const invariantsHold = async () =>
    expect((await checkLedgerInvariants(h.dataSource, new Date())).ok).toBe(true);

  it('never overspends one wallet under 200 concurrent checkouts, and loses no cent', async () => {
    const student = randomUUID();
    await creditOf(student, 5000);
    const attempts = Array.from({ length: 200 }, (_, i) => ({
      reference: `quote-${randomUUID()}`,
      cents: 300 + (i % 7) * 100,
    }));
    const answers = await Promise.all(
      attempts.map((a) =>
        reserve(a.reference, { bookingId: randomUUID(), studentId: student, creditCents: a.cents }),
      ),
    );
    const held = attempts.filter((_, i) => answers[i].status === 200);
    const refused = answers.filter((res) => res.status !== 200);
    for (const res of refused) {
      expect(res.status).toBe(409);
      expect(errorOf(res).code).toBe('INSUFFICIENT_CREDIT');
    }
    const heldCents = held.reduce((sum, a) => sum + a.cents, 0);
    expect(heldCents).toBeLessThanOrEqual(5000);
    // Refusals only came once too little was left for the smallest ask.
    expect(5000 - heldCents).toBeLessThan(900);
    const captures = await Promise.all(held.map((a) => capture(a.reference)));
    expect(captures.map((res) => res.status)).toEqual(held.map(() => 200));
    expect(captures.map((res) => res.body.captures[0].outcome)).toEqual(held.map(() => 'captured'));
    const wallet = (await h.wallet(student)).balances[0];
    expect(wallet).toMatchObject({ availableCents: 5000 - heldCents, reservedCents: 0 });
    const [{ redeemed }] = await h.dataSource.query<Array<{ redeemed: string }>>(
      `SELECT coalesce(sum(p.amount_cents), 0)::text AS redeemed
         FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
         JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.kind = 'checkout_capture' AND a.kind = 'platform_credit_redeemed'
          AND t.idempotency_key = ANY($1)`,
      [held.map((a) => `checkout-capture:${a.reference}`)],
    );
    expect(Number(redeemed)).toBe(heldCents);
    await invariantsHold();
  });

  it('holds, captures and refunds a checkout, each once, and explains each line', async () => {
    const [student, bookingId, reference] = [randomUUID(), randomUUID(), `quote-${randomUUID()}`];
    await creditOf(student, 2000);
    const body = { bookingId, studentId: student, creditCents: 2000 };
    const first = await reserve(reference, body).expect(200);
    expect(first.body).toMatchObject({ status: 'held', credit: { amountCents: 2000 } });
    expect(await funds(student)).toMatchObject({ creditCents: 0 });
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 0,
      reservedCents: 2000,
    });
    // A replay answers the first hold; the same reference for something else is refused.
    await reserve(reference, body).expect(200);
    const reused = await reserve(reference, { ...body, creditCents: 1000 }).expect(409);
    expect(errorOf(reused).code).toBe('REFERENCE_REUSED');
    await capture(reference).expect(200);
    await capture(reference).expect(200);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 0,
      reservedCents: 0,
    });
    const refunded = await giveBack(reference).expect(200);
    expect(refunded.body).toMatchObject({ status: 'refunded', releaseReason: 'booking_cancelled' });
    await giveBack(reference).expect(200);
    expect(await h.balance(student)).toBe(2000);
    const { entries } = await h.history(student);
    expect(entries.map((e) => [e.kind, e.account, e.amount.amountCents, e.bookingId])).toEqual([
      ['checkout_refund', 'credit', 2000, bookingId],
      ['checkout_capture', 'reserved', -2000, bookingId],
      ['checkout_reserve', 'reserved', 2000, bookingId],
      ['checkout_reserve', 'credit', -2000, bookingId],
      ['reward_credit', 'credit', 2000, null],
    ]);
    expect(entries.every((e) => e.reason.length > 0)).toBe(true);
    await invariantsHold();
  });

  it('refunds a cancelled booking back into its lot, keeping the lot expiry', async () => {
    const student = randomUUID();
    const rewardId = await creditOf(student, 1500, '2026-07-01T00:00:00.000Z');
    const [bookingId, reference] = [randomUUID(), `quote-${randomUUID()}`];
    await reserve(reference, { bookingId, studentId: student, creditCents: 1000 }).expect(200);
    await capture(reference).expect(200);
    const cancelled = createEnvelope({
      type: Topics.BookingCancelled,
      version: 1,
      producer: 'bookings',
      key: bookingId,
      occurredAt: h.clock.now(),
      payload: {
        bookingId,
        studentId: student,
        instructorId: randomUUID(),
        refunded: true,
        reason: 'cancelled_by_student',
        cancelledAt: h.clock.now().toISOString(),
      },
    });
    await h.send(cancelled);
    await eventually(() => h.consumed(cancelled.id));
    expect(await h.balance(student)).toBe(1500);
    const [lot] = await h.dataSource.query(
      'SELECT remaining_cents, expires_at FROM credit_lots WHERE reward_id = $1',
      [rewardId],
    );
    expect(lot).toEqual({
      remaining_cents: '1500',
      expires_at: new Date('2026-07-01T00:00:00.000Z'),
    });
    await invariantsHold();
  });

  it('releases a hold never confirmed once it lapses, so no credit is stuck', async () => {
    const [student, reference] = [randomUUID(), `quote-${randomUUID()}`];
    await creditOf(student, 800);
    await reserve(reference, { bookingId: randomUUID(), studentId: student, creditCents: 800 });
    const job = h.get(ReleaseLapsedReservationsJob);
    await job.runOnce();
    expect(await h.balance(student)).toBe(0);
    h.clock.advance(h.config.RESERVATION_TTL_MS + 1);
    try {
      expect(await job.runOnce()).toBeGreaterThanOrEqual(1);
    } finally {
      h.clock.advance(-(h.config.RESERVATION_TTL_MS + 1));
    }
    expect(await h.balance(student)).toBe(800);
    const gone = await capture(reference).expect(200);
    // Confirmed after all (its event came late): paid from what the student has again.
    expect(gone.body.captures[0].reservation.status).toBe('captured');
    expect(await h.balance(student)).toBe(0);
    await invariantsHold();
  });

  it('captures a late confirmation as debt when the credit went elsewhere, and refunds it whole', async () => {
    const [student, reference, other] = [randomUUID(), `quote-${randomUUID()}`, randomUUID()];
    const bookingId = randomUUID();
    await creditOf(student, 1000);
    await reserve(reference, { bookingId, studentId: student, creditCents: 1000 }).expect(200);
    h.clock.advance(h.config.RESERVATION_TTL_MS + 1);
    try {
      await h.get(ReleaseLapsedReservationsJob).runOnce();
    } finally {
      h.clock.advance(-(h.config.RESERVATION_TTL_MS + 1));
    }
    await reserve(`quote-${other}`, { bookingId: other, studentId: student, creditCents: 600 });
    await capture(reference).expect(200);
    expect(await h.debt(student)).toBe(600);
    await giveBack(reference).expect(200);
    // The refund paid the debt first; the other checkout still holds its 600.
    expect(await h.debt(student)).toBe(0);
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 400,
      reservedCents: 600,
    });
    await invariantsHold();
  });

  it('refuses bad amounts, unknown currencies and unknown references, changing nothing', async () => {
    const student = randomUUID();
    await creditOf(student, 500);
    for (const creditCents of [-1, 1.5, 1e12, '100']) {
      const res = await reserve(`quote-${randomUUID()}`, {
        bookingId: randomUUID(),
        studentId: student,
        creditCents,
      }).expect(422);
      expect(errorOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'creditCents' });
    }
    const currency = await reserve(`quote-${randomUUID()}`, {
      bookingId: randomUUID(),
      studentId: student,
      creditCents: 100,
      currency: 'XXX',
    }).expect(422);
    expect(errorOf(currency).field).toBe('currency');
    const none = await reserve(`quote-${randomUUID()}`, {
      bookingId: randomUUID(),
      studentId: student,
      creditCents: 0,
    }).expect(422);
    expect(errorOf(none).code).toBe('INVALID_AMOUNT');
    expect((await capture(`quote-${randomUUID()}`).expect(200)).body.captures[0]).toMatchObject({
      outcome: 'refused',
      code: 'RESERVATION_NOT_FOUND',
    });
    expect(await h.balance(student)).toBe(500);
    expect((await h.history(student)).entries).toHaveLength(1);
  });

  it('answers bookings alone: unsigned, forged, user and other-service calls change nothing', async () => {
    const student = randomUUID();
    await creditOf(student, 500);
    const reference = `quote-${randomUUID()}`;
    const body = { bookingId: randomUUID(), studentId: student, creditCents: 300, currency: 'USD' };
    const path = `/internal/reservations/${reference}`;
    const refusals: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'UNAUTHENTICATED'],
      [forgedCallerHeaders(student, 'admin'), 401, 'UNAUTHENTICATED'],
      [serviceHeaders('bookings', 'wallet', 'k'.repeat(40)), 401, 'UNAUTHENTICATED'],
      // Signed for referrals: a call addressed elsewhere cannot be replayed here.
      [serviceHeaders('bookings', 'referrals'), 401, 'UNAUTHENTICATED'],
      [callerHeaders('wallet', student, 'admin'), 403, 'FORBIDDEN'],
      [serviceHeaders('payouts', 'wallet'), 403, 'FORBIDDEN'],
    ];
    for (const [headers, status, code] of refusals) {
      const res = await request(h.url).put(path).set(headers).send(body).expect(status);
      expect(errorOf(res)).toMatchObject({ code, requestId: expect.any(String) });
      await request(h.url)
        .get('/internal/checkout-funds')
        .set(headers)
        .query({ studentId: student, currency: 'USD' })
        .expect(status);
    }
    expect((await h.wallet(student)).balances[0]).toMatchObject({
      availableCents: 500,
      reservedCents: 0,
    });
    await reserve(reference, body).expect(200);
  });

  it('credits a fee rebate to the instructor, holds it for a lesson and gives it back', async () => {
    const [instructor, student, reference] = [randomUUID(), randomUUID(), `quote-${randomUUID()}`];
    const bookingId = randomUUID();
    const rebate = unlocked(randomUUID(), instructor, 5000, 'fee_rebate');
    await h.send(rebate);
    await eventually(() => h.consumed(rebate.id));
    expect((await h.wallet(instructor)).balances[0]).toMatchObject({
      availableCents: 0,
      feeRebateCents: 5000,
    });
    expect(await funds(student, instructor)).toMatchObject({ feeRebateCents: 5000 });
    await reserve(reference, {
      bookingId,
      studentId: student,
      creditCents: 0,
      instructorId: instructor,
      feeRebateCents: 1200,
    }).expect(200);
    expect(await funds(student, instructor)).toMatchObject({ feeRebateCents: 3800 });
    await giveBack(reference, 'not_confirmed').expect(200);
    expect(await funds(student, instructor)).toMatchObject({ feeRebateCents: 5000 });
    // A hold given back cannot be revived by replaying its reservation.
    const revived = await reserve(reference, {
      bookingId,
      studentId: student,
      creditCents: 0,
      instructorId: instructor,
      feeRebateCents: 1200,
    }).expect(409);
    expect(errorOf(revived).code).toBe('RESERVATION_RELEASED');
    // A voided rebate takes back what is left of it; no lots are involved.
    const voidEvent = voided((rebate.payload as { rewardId: string }).rewardId, instructor);
    await h.send(voidEvent);
    await eventually(() => h.consumed(voidEvent.id));
    expect(await funds(student, instructor)).toMatchObject({ feeRebateCents: 0 });
    await invariantsHold();
  });
  it('tells each capture once as wallet-debited, a refund as wallet-credited after it, a release never', async () => {
    const student = await h.studentWithCredit(3000);
    const instructor = await h.instructorWithRebate(1000);
    const checkout = (creditCents: number, feeRebateCents: number) => ({
      reference: `quote-${randomUUID()}`,
      bookingId: randomUUID(),
      studentId: student,
      creditCents,
      feeRebateCents,
    });
    type Checkout = ReturnType<typeof checkout>;
    const hold = (c: Checkout) =>
      reserve(c.reference, { ...c, instructorId: instructor, reference: undefined }).expect(200);
    const told = (topic: string, c: Checkout) =>
      h.published(topic, c.bookingId).map((m) => {
        const { ownerId, amount, transactionId } = JSON.parse(m.value).payload as {
          ownerId: string;
          amount: { amountCents: number };
          transactionId: string;
        };
        return { ownerId, cents: amount.amountCents, transactionId };
      });
    const transactionOf = async (c: Checkout, column: 'capture' | 'return') =>
      (
        await h.dataSource.query<Array<{ id: string }>>(
          `SELECT ${column}_transaction_id AS id FROM credit_reservations WHERE reference = $1`,
          [c.reference],
        )
      )[0].id;
    const confirm = async (c: Checkout) => {
      const event = confirmedBooking(c);
      await h.send(event);
      await eventually(() => h.consumed(event.id));
    };

    // Captured by checkout, which tells nothing; told once its booking's confirmation arrives,
    // and not again for a second confirmation of the booking.
    const spent = checkout(1500, 300);
    await hold(spent);
    await capture(spent.reference).expect(200);
    expect(told(Topics.WalletDebited, spent)).toEqual([]);
    await confirm(spent);
    await eventually(() => expect(told(Topics.WalletDebited, spent)).toHaveLength(2));
    const captureId = await transactionOf(spent, 'capture');
    expect(told(Topics.WalletDebited, spent)).toEqual(
      expect.arrayContaining([
        { ownerId: student, cents: 1500, transactionId: captureId },
        { ownerId: instructor, cents: 300, transactionId: captureId },
      ]),
    );
    await confirm(spent);

    // Refunded before its confirmation arrived: the refund tells the debit, then the credit.
    const refunded = checkout(800, 200);
    await hold(refunded);
    await capture(refunded.reference).expect(200);
    await giveBack(refunded.reference).expect(200);
    await eventually(() => expect(told(Topics.WalletCredited, refunded)).toHaveLength(2));
    const refundId = await transactionOf(refunded, 'return');
    const credits = told(Topics.WalletCredited, refunded);
    expect(credits).toEqual(
      expect.arrayContaining([
        { ownerId: student, cents: 800, transactionId: refundId },
        { ownerId: instructor, cents: 200, transactionId: refundId },
      ]),
    );
    const debits = told(Topics.WalletDebited, refunded);
    expect(debits).toHaveLength(2);
    // Each owner's debit was numbered before its credit: the relay sends them in that order.
    const order = await h.dataSource.query<Array<{ key: string; topic: string }>>(
      `SELECT key, topic FROM outbox_messages
        WHERE envelope -> 'payload' ->> 'sourceId' = $1 ORDER BY seq`,
      [refunded.bookingId],
    );
    for (const owner of [student, instructor]) {
      expect(order.filter((o) => o.key === owner).map((o) => o.topic)).toEqual([
        Topics.WalletDebited,
        Topics.WalletCredited,
      ]);
    }
    await confirm(refunded);

    // Released, never captured: nothing was spent, nothing is told.
    const released = checkout(300, 0);
    await hold(released);
    await giveBack(released.reference, 'not_confirmed').expect(200);

    // The relay publishes in commit order: once a later capture of the student's is told,
    // whatever the checkouts above wrote is out too.
    const last = checkout(100, 0);
    await hold(last);
    await capture(last.reference).expect(200);
    await confirm(last);
    await eventually(() => expect(told(Topics.WalletDebited, last)).toHaveLength(1));
    expect(told(Topics.WalletDebited, spent)).toHaveLength(2);
    expect(told(Topics.WalletDebited, refunded)).toHaveLength(2);
    expect(told(Topics.WalletCredited, refunded)).toHaveLength(2);
    expect([
      ...told(Topics.WalletDebited, released),
      ...told(Topics.WalletCredited, released),
    ]).toEqual([]);
    expect(await h.balance(student)).toBe(3000 - 1500 - 100);
    await invariantsHold();
  });
});
