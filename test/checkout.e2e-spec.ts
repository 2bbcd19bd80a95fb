import { randomUUID } from 'node:crypto';
import { Topics } from '@rewards/contracts';
import {
  errorOf,
  eventually,
  KafkaProbe,
  rewardUnlockedEvent,
  serviceTestEnv,
  TEST_CARDS,
  testAdminUrl,
} from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { checkLedgerInvariants } from '../services/wallet/src/ledger/check-invariants';
import { walletDataSource } from '../services/wallet/src/db/data-source';
import { DataSource } from 'typeorm';
import { OffsetClock, PlatformUnderTest, startPlatform } from './support/platform-under-test';
import { StatementCounter } from './support/statement-counter';

interface User {
  id: string;
  auth: Record<string, string>;
}

/** Checkout as a student does it, through the gateway: quote, book at the quote, cancel. */
describe('checkout through the gateway', () => {
  const clock = new OffsetClock();
  let platform: PlatformUnderTest;
  let probe: KafkaProbe;
  let gw: () => ReturnType<typeof request>;

  beforeAll(async () => {
    platform = await startPlatform({ bookingsClock: clock });
    gw = () => request(platform.gatewayUrl);
    probe = new KafkaProbe();
    await probe.watch([Topics.WalletDebited, Topics.WalletCredited]);
  });

  afterAll(async () => {
    await probe?.close();
    await platform?.close();
  });

  const signIn = async (role: 'student' | 'instructor'): Promise<User> => {
    const res = await gw().post('/auth/dev-token').send({ role }).expect(200);
    return { id: res.body.userId as string, auth: { authorization: `Bearer ${res.body.token}` } };
  };

  const register = async (role: 'student' | 'instructor', referralCode?: string) => {
    const user = await signIn(role);
    await gw()
      .post('/accounts')
      .set(user.auth)
      .send({ role, email: `${user.id}@example.test`, displayName: role, referralCode })
      .expect(201);
    return user;
  };

  const liveInstructor = async () => {
    const instructor = await register('instructor');
    const account = platform.stripe.createAccount({ payoutsEnabled: true });
    await gw()
      .put('/accounts/me/payout-account')
      .set(instructor.auth)
      .send({ stripeAccountId: account.id })
      .expect(200);
    await gw().post('/accounts/me/go-live').set(instructor.auth).expect(200);
    return instructor;
  };

  /** Unlocks a reward for the user, as referrals will publish it. */
  const giveCredit = async (
    user: User,
    amountCents: number,
    kind: 'student_referral_credit' | 'fee_rebate' = 'student_referral_credit',
  ) => {
    const event = rewardUnlockedEvent({ beneficiaryId: user.id, amountCents, kind });
    const field = kind === 'fee_rebate' ? 'feeRebateCents' : 'availableCents';
    const before = ((await wallet(user)) as Record<string, number>)[field] ?? 0;
    await probe.produce(Topics.RewardUnlocked, event.key, JSON.stringify(event));
    await eventually(async () =>
      expect(((await wallet(user)) as Record<string, number>)[field]).toBe(before + amountCents),
    );
  };

  const wallet = async (user: User) =>
    (await gw().get('/wallet/me').set(user.auth).expect(200)).body.balances[0] ?? {
      availableCents: 0,
      reservedCents: 0,
    };
  const available = async (user: User): Promise<number> =>
    ((await wallet(user)) as { availableCents: number }).availableCents;

  const lesson = (instructor: User, priceCents: number, inHours = 24) => {
    const startsAt = new Date(Date.now() + inHours * 3_600_000);
    return {
      instructorId: instructor.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      priceCents,
    };
  };

  const quote = (student: User, draft: object) =>
    gw().post('/checkout/apply-referral').set(student.auth).send(draft);

  /** Confirms the quote, paying its total with a fresh payment method of `card`. */
  const book = (
    student: User,
    draft: object,
    q: { id: string; signature: string },
    card: string = TEST_CARDS.visa,
  ) =>
    gw()
      .post('/bookings')
      .set(student.auth)
      .send({
        ...draft,
        quoteId: q.id,
        quoteSignature: q.signature,
        paymentMethodId: platform.stripe.createPaymentMethod(card).id,
      });

  const invariantsHold = async () => {
    const ds = walletDataSource(serviceTestEnv('wallet').DATABASE_URL);
    await ds.initialize();
    try {
      const report = await checkLedgerInvariants(ds, new Date());
      expect(report.violations).toMatchObject({
        unbalancedTransactions: { count: 0 },
        negativeUserAccounts: { count: 0 },
        balanceMismatches: { count: 0 },
        lotMismatches: { count: 0 },
        reservationMismatches: { count: 0 },
      });
      expect(report.ok).toBe(true);
    } finally {
      await ds.destroy();
    }
  };

  it('quotes and confirms a wallet-credit checkout in few database round trips', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 2000);
    const bookings = new StatementCounter(platform.bookings().app.get(DataSource));
    const walletDb = new StatementCounter(platform.wallet().app.get(DataSource));
    try {
      const draft = lesson(instructor, 8000);
      bookings.take();
      walletDb.take();
      const q = (await quote(student, draft).expect(200)).body;
      // The draft's two accounts with the student's discount in one statement, and nothing
      // stored (the signature carries the quote); the wallet's balances in one statement (asked
      // in parallel with the first).
      expect(bookings.take()).toHaveLength(1);
      expect(walletDb.take()).toHaveLength(1);

      await book(student, draft, q).expect(201);
      // Each service's part of the answer ends at its first COMMIT: what follows (the outbox
      // relay's publish, the capture) runs after the answer, off its path.
      const untilCommit = (statements: string[]) =>
        statements.slice(0, statements.indexOf('COMMIT') + 1);
      // Whether the quote was booked already (a card is charged: a repeat must not charge it
      // again), the charge attempt (committed before Stripe is called), then BEGIN, the booking with its outbox row (the
      // event key's lock taken in the same statement), the attempt booked, COMMIT.
      expect(untilCommit(bookings.take())).toHaveLength(6);
      // The student's first hold: the one statement of a hold finds their reserved account
      // missing and writes nothing; then BEGIN, the reservation looked for and the accounts
      // locked (none: one is missing), the reserved account opened and all locked, the ledger
      // transaction with its postings, the lots taken and the reservation, COMMIT.
      expect(untilCommit(walletDb.take())).toHaveLength(6);

      await giveCredit(student, 2000);
      const again = lesson(instructor, 8000, 48);
      const next = (await quote(student, again).expect(200)).body;
      walletDb.take();
      await book(student, again, next).expect(201);
      // Every account open now: the hold is one statement, no BEGIN or COMMIT; what follows, if
      // anything yet, is the capture's own transaction, after the answer.
      const held = walletDb.take();
      expect(held[0]).toContain('INSERT INTO credit_reservations');
      expect(held[1] ?? 'START TRANSACTION').toBe('START TRANSACTION');
    } finally {
      bookings.restore();
      walletDb.restore();
    }
  });

  it('confirms a checkout paid wholly by wallet credit in one bookings statement', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 2000);
    const draft = lesson(instructor, 1500);
    const q = (await quote(student, draft).expect(200)).body;
    expect(q.total.amountCents).toBe(0);
    const bookings = new StatementCounter(platform.bookings().app.get(DataSource));
    let booked: { id: string };
    try {
      booked = (await book(student, draft, q).expect(201)).body;
      const statements = bookings.take();
      // The booking with its outbox row (the event key's lock taken in the same statement),
      // atomic alone: no BEGIN or COMMIT. The quote is read from its signature, a repeat answered
      // by the booking's unique quote id. No card: no charge attempt.
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatch(
        /^WITH booking AS \( INSERT INTO bookings .* INSERT INTO outbox_messages/,
      );
    } finally {
      bookings.restore();
    }
    // The event row is the outbox writer's, and the relay publishes it.
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      await eventually(async () => {
        const { rows } = await admin.query(
          'SELECT topic, key, envelope, published_at FROM bookings.outbox_messages WHERE key = $1',
          [booked.id],
        );
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          topic: Topics.BookingConfirmed,
          envelope: {
            type: Topics.BookingConfirmed,
            version: 1,
            producer: 'bookings',
            key: booked.id,
            payload: {
              bookingId: booked.id,
              studentId: student.id,
              instructorId: instructor.id,
              price: { amountCents: 0, currency: 'USD' },
              startsAt: draft.startsAt,
              endsAt: draft.endsAt,
            },
          },
        });
        expect(rows[0].published_at).not.toBeNull();
      });
    } finally {
      await admin.end();
    }
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 500, reservedCents: 0 }),
    );
  });

  it('answers a repeated confirmation with its booking after the quote expired and after a cancel, moving nothing more', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 2000);
    // Paid wholly by credit: nothing is read before the insert, whose unique quote id answers.
    const free = lesson(instructor, 1500);
    const qFree = (await quote(student, free).expect(200)).body;
    const bFree = (await book(student, free, qFree).expect(201)).body;
    expect((await book(student, free, qFree).expect(201)).body).toMatchObject({
      id: bFree.id,
      status: 'confirmed',
    });
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 500, reservedCents: 0 }),
    );
    // A card pays the rest: the read before the charge answers.
    const paid = lesson(instructor, 8000, 48);
    const qPaid = (await quote(student, paid).expect(200)).body;
    expect(qPaid.total.amountCents).toBe(7500);
    const bPaid = (await book(student, paid, qPaid).expect(201)).body;
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 0, reservedCents: 0 }),
    );

    const repeated = async (status: string) => {
      expect((await book(student, free, qFree).expect(201)).body).toMatchObject({
        id: bFree.id,
        status,
      });
      expect((await book(student, paid, qPaid).expect(201)).body).toMatchObject({
        id: bPaid.id,
        status,
      });
    };
    clock.offsetMs = 3_600_000;
    try {
      await repeated('confirmed');
    } finally {
      clock.offsetMs = 0;
    }
    for (const b of [bFree, bPaid]) {
      await gw().post(`/bookings/${b.id}/cancel`).set(student.auth).expect(200);
    }
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 2000, reservedCents: 0 }),
    );
    // The free one's hold was given back: the wallet refuses it again, and the booking answers.
    await repeated('cancelled');
    clock.offsetMs = 3_600_000;
    try {
      await repeated('cancelled');
    } finally {
      clock.offsetMs = 0;
    }
    expect(await wallet(student)).toMatchObject({ availableCents: 2000, reservedCents: 0 });
    const charged = platform.stripe
      .paymentIntents()
      .filter((p) => p.metadata.booking_id === bPaid.id);
    expect(charged.map((p) => [p.status, p.amount])).toEqual([['succeeded', 7500]]);
    const refunded = platform.stripe.refunds().filter((r) => r.payment_intent === charged[0].id);
    expect(refunded.map((r) => r.amount)).toEqual([7500]);
    await invariantsHold();
  });

  it('quotes $20 credit on an $80 lesson, books exactly that, and gives it back on cancel', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 2000);
    const draft = lesson(instructor, 8000);
    const q = (await quote(student, draft).expect(200)).body;
    expect(q).toMatchObject({
      listPrice: { amountCents: 8000, currency: 'USD' },
      benefit: {
        kind: 'wallet_credit',
        amount: { amountCents: 2000, currency: 'USD' },
        reason: 'wallet credit applied ($20)',
      },
      total: { amountCents: 6000, currency: 'USD' },
      platformFee: {
        amount: { amountCents: 1200 },
        beforeRebate: { amountCents: 1200 },
        rebate: { amountCents: 0 },
      },
    });
    expect(typeof q.signature).toBe('string');
    expect(new Date(q.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const booked = (await book(student, draft, q).expect(201)).body;
    expect(booked).toMatchObject({
      status: 'confirmed',
      quoteId: q.id,
      price: { amountCents: 8000 },
      benefit: { kind: 'wallet_credit', amount: { amountCents: 2000 } },
      total: { amountCents: 6000 },
    });
    // Confirming the same quote again answers the same booking and spends nothing more.
    expect((await book(student, draft, q).expect(201)).body.id).toBe(booked.id);
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 0, reservedCents: 0 }),
    );

    await gw().post(`/bookings/${booked.id}/cancel`).set(student.auth).expect(200);
    await gw().post(`/bookings/${booked.id}/cancel`).set(student.auth).expect(200);
    await eventually(async () => expect(await available(student)).toBe(2000));
    // The wallet told both: the $20 spent on the booking, then given back, once each.
    const told = (topic: string) =>
      probe
        .find(topic, (v) => v.payload?.sourceId === booked.id)
        .map((m) => {
          const { ownerId, amount } = JSON.parse(m.value).payload;
          return [ownerId, amount.amountCents];
        });
    await eventually(() => {
      expect(told(Topics.WalletDebited)).toEqual([[student.id, 2000]]);
      expect(told(Topics.WalletCredited)).toEqual([[student.id, 2000]]);
    });
    // The card paid the rest, once, and has it back once.
    const charged = platform.stripe
      .paymentIntents()
      .filter((p) => p.metadata.booking_id === booked.id);
    expect(charged.map((p) => [p.status, p.amount])).toEqual([['succeeded', 6000]]);
    const refunded = platform.stripe.refunds().filter((r) => r.payment_intent === charged[0].id);
    expect(refunded.map((r) => r.amount)).toEqual([6000]);

    const { entries } = (await gw().get('/wallet/me/history').set(student.auth).expect(200)).body;
    expect(
      entries.map((e: { kind: string; account: string; amount: { amountCents: number } }) => [
        e.kind,
        e.account,
        e.amount.amountCents,
      ]),
    ).toEqual([
      ['checkout_refund', 'credit', 2000],
      ['checkout_capture', 'reserved', -2000],
      ['checkout_reserve', 'reserved', 2000],
      ['checkout_reserve', 'credit', -2000],
      ['reward_credit', 'credit', 2000],
    ]);
    for (const entry of entries.slice(0, 4)) {
      expect(entry.bookingId).toBe(booked.id);
      expect(entry.reason).toMatch(/^[A-Z]/);
    }
    await invariantsHold();
  });

  it("applies a referee's first-lesson discount once, when verified, and gives it back on cancel", async () => {
    const referrer = await register('student');
    const code = await eventually(
      async () =>
        (await gw().get('/referrals/me').set(referrer.auth).expect(200)).body.code as string,
      { timeoutMs: 60_000 },
    );
    const [student, instructor] = [await register('student', code), await liveInstructor()];
    await giveCredit(student, 1500);
    const draft = lesson(instructor, 8000);
    // The discount arrives with referral-attributed; until verified it does not apply.
    await eventually(
      async () =>
        expect((await quote(student, draft).expect(200)).body.benefit.reason).toContain(
          'verify your email and phone',
        ),
      { timeoutMs: 60_000 },
    );
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    await admin.query(
      'UPDATE bookings.accounts SET email_verified = true, phone_verified = true WHERE id = $1',
      [student.id],
    );
    await admin.end();

    const q = (await quote(student, draft).expect(200)).body;
    expect(q.benefit).toMatchObject({ kind: 'referee_discount', amount: { amountCents: 2000 } });
    expect(q.benefit.reason).toContain('your credit stays for a later lesson');
    expect(q.total.amountCents).toBe(6000);
    const cheap = (await quote(student, lesson(instructor, 5000)).expect(200)).body;
    expect(cheap.benefit).toMatchObject({ kind: 'wallet_credit', amount: { amountCents: 1500 } });

    const booked = (await book(student, draft, q).expect(201)).body;
    expect(booked.total.amountCents).toBe(6000);
    expect(await available(student)).toBe(1500);
    // Its first lesson is booked: a second one gets the credit, never the discount again.
    const second = (await quote(student, lesson(instructor, 8000, 48)).expect(200)).body;
    expect(second.benefit.kind).toBe('wallet_credit');
    const stale = await book(student, draft, q);
    expect(stale.body.id).toBe(booked.id);

    await gw().post(`/bookings/${booked.id}/cancel`).set(instructor.auth).expect(200);
    const again = (await quote(student, lesson(instructor, 8000, 72)).expect(200)).body;
    expect(again.benefit.kind).toBe('referee_discount');
  });

  it("lowers the platform fee by the instructor's fee rebate until it is used up", async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(instructor, 2000, 'fee_rebate');
    const first = lesson(instructor, 8000, 24);
    const q1 = (await quote(student, first).expect(200)).body;
    expect(q1.platformFee).toEqual({
      amount: { amountCents: 0, currency: 'USD' },
      beforeRebate: { amountCents: 1200, currency: 'USD' },
      rebate: { amountCents: 1200, currency: 'USD' },
    });
    // What the student pays does not move: the rebate is the instructor's.
    expect(q1.total.amountCents).toBe(8000);
    const booked = (await book(student, first, q1).expect(201)).body;
    await eventually(async () =>
      expect(await wallet(instructor)).toMatchObject({ feeRebateCents: 800, reservedCents: 0 }),
    );
    const second = lesson(instructor, 8000, 30);
    const q2 = (await quote(student, second).expect(200)).body;
    expect(q2.platformFee).toMatchObject({
      amount: { amountCents: 400 },
      rebate: { amountCents: 800 },
    });
    await book(student, second, q2).expect(201);
    const third = (await quote(student, lesson(instructor, 8000, 36)).expect(200)).body;
    expect(third.platformFee).toMatchObject({
      amount: { amountCents: 1200 },
      rebate: { amountCents: 0 },
    });
    await gw().post(`/bookings/${booked.id}/cancel`).set(student.auth).expect(200);
    await eventually(async () =>
      expect(await wallet(instructor)).toMatchObject({ feeRebateCents: 1200 }),
    );
    await invariantsHold();
  });

  it('refuses a quote that no longer holds and charges nothing for it', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 2000);
    const [a, b] = [lesson(instructor, 8000, 24), lesson(instructor, 8000, 30)];
    const qa = (await quote(student, a).expect(200)).body;
    const qb = (await quote(student, b).expect(200)).body;
    expect(qb.benefit.amount.amountCents).toBe(2000);
    await book(student, a, qa).expect(201);
    const refused = await book(student, b, qb).expect(409);
    expect(errorOf(refused).code).toBe('QUOTE_NO_LONGER_HOLDS');
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 0, reservedCents: 0 }),
    );
    const { entries } = (await gw().get('/wallet/me/history').set(student.auth).expect(200)).body;
    expect(entries.filter((e: { kind: string }) => e.kind === 'checkout_capture')).toHaveLength(1);
    await invariantsHold();
  });

  it('never overspends one wallet when 30 checkouts confirm at once', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 2000);
    const drafts = Array.from({ length: 30 }, (_, i) => lesson(instructor, 500, 24 + i));
    const quotes = await Promise.all(
      drafts.map(async (d) => (await quote(student, d).expect(200)).body),
    );
    const answers = await Promise.all(drafts.map((d, i) => book(student, d, quotes[i])));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(4);
    expect(answers.filter((res) => res.status !== 201).map((res) => errorOf(res).code)).toEqual(
      Array.from({ length: 26 }, () => 'QUOTE_NO_LONGER_HOLDS'),
    );
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 0, reservedCents: 0 }),
    );
    await invariantsHold();
  });

  it('refuses bad, foreign, tampered and expired quotes with stable codes, changing nothing', async () => {
    const [student, other, instructor] = [
      await register('student'),
      await register('student'),
      await liveInstructor(),
    ];
    await giveCredit(student, 2000);
    const draft = lesson(instructor, 8000);
    for (const [field, value] of [
      ['priceCents', -1],
      ['priceCents', 80.5],
      ['priceCents', 1e12],
      ['currency', 'XXX'],
      ['isAdmin', true],
    ] as const) {
      const res = await quote(student, { ...draft, [field]: value }).expect(422);
      expect(errorOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
    const instructorRole = await quote(instructor, draft).expect(403);
    expect(errorOf(instructorRole).code).toBe('FORBIDDEN');

    const q = (await quote(student, draft).expect(200)).body;
    const chargesBefore = platform.stripe.paymentIntents().length;
    const foreign = await book(other, draft, q).expect(404);
    expect(errorOf(foreign).code).toBe('QUOTE_NOT_FOUND');
    const tampered = await book(student, draft, { ...q, signature: `${q.signature}x` }).expect(422);
    expect(errorOf(tampered)).toMatchObject({
      code: 'QUOTE_SIGNATURE_INVALID',
      field: 'quoteSignature',
    });
    // A signature the server made, but for another quote, sent with this quote's id.
    const another = (await quote(student, draft).expect(200)).body;
    const swapped = await book(student, draft, { id: q.id, signature: another.signature }).expect(
      422,
    );
    expect(errorOf(swapped)).toMatchObject({
      code: 'QUOTE_SIGNATURE_INVALID',
      field: 'quoteSignature',
    });
    // No quote has this id: no signature the client holds can be its own.
    const unknown = await book(student, draft, { id: randomUUID(), signature: q.signature }).expect(
      422,
    );
    expect(errorOf(unknown).code).toBe('QUOTE_SIGNATURE_INVALID');
    // The format quotes were signed in before they carried themselves: the client asks again.
    const older = await book(student, draft, { ...q, signature: q.signature.split('.')[2] }).expect(
      422,
    );
    expect(errorOf(older).code).toBe('QUOTE_SIGNATURE_INVALID');
    for (const signature of ['q2.not a signature', `${q.signature}${'A'.repeat(200)}`]) {
      const res = await book(student, draft, { ...q, signature }).expect(422);
      expect(errorOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'quoteSignature' });
    }
    const cheaper = await book(student, { ...draft, priceCents: 100 }, q).expect(422);
    expect(errorOf(cheaper)).toMatchObject({ code: 'QUOTE_MISMATCH', field: 'priceCents' });
    clock.offsetMs = 3_600_000;
    try {
      const expired = await book(student, draft, q).expect(409);
      expect(errorOf(expired).code).toBe('QUOTE_EXPIRED');
    } finally {
      clock.offsetMs = 0;
    }
    // Nothing was held, or charged, by any refusal.
    expect(await wallet(student)).toMatchObject({ availableCents: 2000, reservedCents: 0 });
    expect(platform.stripe.paymentIntents()).toHaveLength(chargesBefore);
    const booking = (await book(student, draft, q).expect(201)).body;
    const notYours = await gw().post(`/bookings/${booking.id}/cancel`).set(other.auth).expect(404);
    expect(errorOf(notYours).code).toBe('BOOKING_NOT_FOUND');
    await gw().post('/internal/reservations/capture').set(student.auth).expect(404);
  });

  it('answers a declined card with 402 PAYMENT_DECLINED: no booking, the wallet credit untouched', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 2000);
    const draft = lesson(instructor, 8000);
    const q = (await quote(student, draft).expect(200)).body;

    const declined = await book(student, draft, q, TEST_CARDS.declined).expect(402);

    expect(errorOf(declined)).toMatchObject({ code: 'PAYMENT_DECLINED', field: 'paymentMethodId' });
    expect(await wallet(student)).toMatchObject({ availableCents: 2000, reservedCents: 0 });
    expect(errorOf(declined).message).toMatch(/wallet credit is back: ask for a new quote/);
    // With a new quote another card pays: the credit is spent once and the rest charged.
    const again = (await quote(student, draft).expect(200)).body;
    const booked = (await book(student, draft, again).expect(201)).body;
    expect(booked.total).toEqual({ amountCents: 6000, currency: 'USD' });
    await eventually(async () =>
      expect(await wallet(student)).toMatchObject({ availableCents: 0, reservedCents: 0 }),
    );
  });

  it('refuses a priced quote confirmed without a payment method: 422, nothing held', async () => {
    const [student, instructor] = [await register('student'), await liveInstructor()];
    await giveCredit(student, 1000);
    const draft = lesson(instructor, 8000);
    const q = (await quote(student, draft).expect(200)).body;

    const missing = await gw()
      .post('/bookings')
      .set(student.auth)
      .send({ ...draft, quoteId: q.id, quoteSignature: q.signature })
      .expect(422);

    expect(errorOf(missing)).toMatchObject({ code: 'PAYMENT_METHOD_REQUIRED' });
    expect(await wallet(student)).toMatchObject({ availableCents: 1000, reservedCents: 0 });
  });
});
