import { randomUUID } from 'node:crypto';
import { createEnvelope, Topics } from '@rewards/contracts';
import { loadConfig, serviceCallHeaders } from '@rewards/service-kit';
import {
  callerHeaders,
  createTestPaymentMethod,
  errorOf,
  FakeStripe,
  eventually,
  forgedCallerHeaders,
  KafkaProbe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
  testAdminUrl,
  testInternalAuthKey,
  testOwnerUrl,
} from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { mapBookingsError } from '../src/bookings-error';
import { BookingsConfig } from '../src/config/bookings.config';
import { signQuote } from '../src/checkout/quote-signature';
import { bookingsDataSource } from '../src/db/data-source';

const as = (userId: string, role: string) => callerHeaders('bookings', userId, role);

describe('bookings service', () => {
  let service: RunningServiceApp;
  let probe: KafkaProbe;
  const stripe = new FakeStripe();
  let config: BookingsConfig;
  const configWith = (stripeUrl: string) =>
    loadConfig(
      BookingsConfig,
      serviceTestEnv('bookings', {
        // Nothing listens there: checkout answers WALLET_UNAVAILABLE, as with a wallet down.
        WALLET_URL: 'http://127.0.0.1:9',
        WALLET_TIMEOUT_MS: '500',
        CHECKOUT_QUOTE_SECRET: 'bookings-test-quote-secret-with-32-characters',
        STRIPE_SECRET_KEY: 'sk_test_bookings',
        STRIPE_API_URL: stripeUrl,
      }),
    );

  beforeAll(async () => {
    await stripe.start();
    config = configWith(stripe.url);
    await migrate(bookingsDataSource(config.DATABASE_URL));
    service = await startServiceApp(AppModule.forRoot(config), mapBookingsError);
    probe = new KafkaProbe();
    await probe.watch([
      'user-registered',
      'instructor-went-live',
      'booking-confirmed',
      'lesson-completed',
    ]);
  });

  afterAll(async () => {
    await probe?.close();
    await service?.close();
    await stripe.stop();
  });

  const registerInstructor = async () => {
    const id = randomUUID();
    await request(service.url)
      .post('/accounts')
      .set(as(id, 'instructor'))
      .send({ role: 'instructor', email: `${id}@example.test`, displayName: 'Ines' })
      .expect(201);
    return id;
  };

  const liveInstructor = async () => {
    const instructor = await registerInstructor();
    await request(service.url)
      .put('/accounts/me/payout-account')
      .set(as(instructor, 'instructor'))
      .send({ stripeAccountId: 'acct_test123456' })
      .expect(200);
    await request(service.url)
      .post('/accounts/me/go-live')
      .set(as(instructor, 'instructor'))
      .expect(200);
    return instructor;
  };

  const registerStudent = async () => {
    const student = randomUUID();
    await request(service.url)
      .post('/accounts')
      .set(as(student, 'student'))
      .send({ role: 'student', email: `${student}@example.test`, displayName: 'Sam' })
      .expect(201);
    return student;
  };

  /** A live instructor, a new student, and the student's one-hour lesson starting in `startsInMs`. */
  const bookLesson = async (startsInMs: number) => {
    const [instructor, student] = [await liveInstructor(), await registerStudent()];
    // Everything else first: the start is taken last, so a slow machine cannot push it into
    // the past before the booking arrives.
    const paymentMethodId = await createTestPaymentMethod(stripe.url);
    const startsAt = new Date(Date.now() + startsInMs);
    const booking = await request(service.url)
      .post('/bookings')
      .set(as(student, 'student'))
      .send({
        instructorId: instructor,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents: 8000,
        paymentMethodId,
      })
      .expect(201);
    return { instructor, student, startsAt, bookingId: booking.body.id as string };
  };

  it('publishes user-registered through the outbox when an account is created', async () => {
    const id = await registerInstructor();
    const published = await eventually(() => {
      const found = probe.find('user-registered', (v) => v.payload?.userId === id);
      expect(found).toHaveLength(1);
      return found[0];
    });
    expect(published.key).toBe(id);
    expect(JSON.parse(published.value)).toMatchObject({
      type: 'user-registered',
      version: 1,
      producer: 'bookings',
    });
  });

  it('refuses unknown fields with 422 and names the field', async () => {
    const res = await request(service.url)
      .post('/accounts')
      .set(as(randomUUID(), 'student'))
      .send({ role: 'student', email: 'x@example.test', displayName: 'X', isAdmin: true })
      .expect(422);
    expect(errorOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'isAdmin' });
  });

  it('refuses a second registration of the same user', async () => {
    const id = randomUUID();
    const body = { role: 'student', email: `${id}@example.test`, displayName: 'S' };
    await request(service.url).post('/accounts').set(as(id, 'student')).send(body).expect(201);
    const res = await request(service.url)
      .post('/accounts')
      .set(as(id, 'student'))
      .send(body)
      .expect(409);
    expect(errorOf(res).code).toBe('ACCOUNT_ALREADY_REGISTERED');
  });

  it('completes a booked lesson once and emits lesson-completed once', async () => {
    const { instructor, student, startsAt, bookingId } = await bookLesson(2_000);
    // A lesson can be completed once it has started.
    await new Promise((resolve) => setTimeout(resolve, startsAt.getTime() - Date.now() + 100));
    const path = `/bookings/${bookingId}/complete`;
    // Another instructor is told what a missing booking would tell: nothing.
    const other = await request(service.url).post(path).set(as(student, 'instructor')).expect(404);
    expect(errorOf(other).code).toBe('BOOKING_NOT_FOUND');
    await request(service.url).post(path).set(as(instructor, 'instructor')).expect(200);
    await request(service.url).post(path).set(as(instructor, 'instructor')).expect(200);
    await eventually(() =>
      expect(
        probe.find('lesson-completed', (v) => v.payload?.bookingId === bookingId),
      ).toHaveLength(1),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(probe.find('lesson-completed', (v) => v.payload?.bookingId === bookingId)).toHaveLength(
      1,
    );
  });

  it('answers 503 WALLET_UNAVAILABLE, signing no quote, when the wallet does not answer', async () => {
    const [instructor, student] = [await liveInstructor(), await registerStudent()];
    const startsAt = new Date(Date.now() + 3_600_000);
    const res = await request(service.url)
      .post('/checkout/apply-referral')
      .set(as(student, 'student'))
      .send({
        instructorId: instructor,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents: 8000,
      })
      .expect(503);
    expect(errorOf(res).code).toBe('WALLET_UNAVAILABLE');
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).not.toHaveProperty('signature');
  });

  it('answers a repeated confirmation the wallet cannot hold with its booking, and none else', async () => {
    const { instructor, student, startsAt, bookingId } = await bookLesson(3_600_000);
    const draft = {
      instructorId: instructor,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      priceCents: 8000,
    };
    // Quotes paid wholly by wallet credit, as this service signs them: nothing is read before
    // the hold, which the wallet (down here) cannot make.
    const signed = () => {
      const now = new Date();
      const terms = {
        id: randomUUID(),
        bookingId: randomUUID(),
        studentId: student,
        instructorId: instructor,
        startsAt,
        endsAt: new Date(draft.endsAt),
        currency: 'USD',
        listPriceCents: 8000,
        benefitKind: 'wallet_credit' as const,
        benefitCents: 8000,
        totalCents: 0,
        platformFeeCents: 1200,
        feeRebateCents: 0,
        expiresAt: new Date(now.getTime() + 600_000),
        createdAt: now,
      };
      return { quoteId: terms.id, quoteSignature: signQuote(terms, config.CHECKOUT_QUOTE_SECRET) };
    };
    const booked = signed();
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      await admin.query('UPDATE bookings.bookings SET quote_id = $1 WHERE id = $2', [
        booked.quoteId,
        bookingId,
      ]);
    } finally {
      await admin.end();
    }
    const confirm = (quote: { quoteId: string; quoteSignature: string }) =>
      request(service.url)
        .post('/bookings')
        .set(as(student, 'student'))
        .send({ ...draft, ...quote });
    // Its hold is its booking's: answered, not given back as never confirmed.
    expect((await confirm(booked).expect(201)).body).toMatchObject({ id: bookingId });
    const unbooked = await confirm(signed()).expect(503);
    expect(errorOf(unbooked).code).toBe('WALLET_UNAVAILABLE');
  });

  it("records a student referee's discount from referral-attributed v2, once; v1 carries none", async () => {
    const [v1Referee, v2Referee, referrer] = [randomUUID(), randomUUID(), randomUUID()];
    const attributed = (refereeId: string, version: number, amountCents: number) =>
      createEnvelope({
        type: Topics.ReferralAttributed,
        version,
        producer: 'referrals',
        key: refereeId,
        occurredAt: new Date(),
        payload: {
          attributionId: refereeId,
          program: 'student',
          referrerId: referrer,
          refereeId,
          code: 'SAM-1234',
          attributedAt: new Date().toISOString(),
          ...(version === 2
            ? {
                refereeDiscount: {
                  amount: { amountCents, currency: 'USD' },
                  minimumLessonPrice: { amountCents: 7500, currency: 'USD' },
                },
              }
            : {}),
        },
      });
    const events = [
      attributed(v1Referee, 1, 0),
      attributed(v2Referee, 2, 2000),
      attributed(v2Referee, 2, 9900),
    ];
    for (const e of events) await probe.produce(e.type, e.key, JSON.stringify(e));
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      await eventually(async () => {
        const { rows } = await admin.query(
          'SELECT 1 FROM bookings.inbox_messages WHERE message_id = ANY($1)',
          [events.map((e) => e.id)],
        );
        expect(rows).toHaveLength(3);
      });
      const { rows } = await admin.query(
        `SELECT student_id, amount_cents, minimum_lesson_cents FROM bookings.referee_discounts
          WHERE student_id = ANY($1)`,
        [[v1Referee, v2Referee]],
      );
      // The attribution is immutable: the first discount recorded stands.
      expect(rows).toEqual([
        { student_id: v2Referee, amount_cents: 2000, minimum_lesson_cents: 7500 },
      ]);
    } finally {
      await admin.end();
    }
  });

  it("answers another user's booking as it answers none: 404, the same body", async () => {
    const stranger = randomUUID();
    const { instructor, student, bookingId } = await bookLesson(3_600_000);
    const read = (id: string, who: string, roles: string) =>
      request(service.url).get(`/bookings/${id}`).set(as(who, roles));

    const theirs = await read(bookingId, stranger, 'student').expect(404);
    const none = await read(randomUUID(), stranger, 'student').expect(404);
    const shown = (res: typeof none) => {
      const { code, message, field, details } = errorOf(res);
      return { code, message, field, details };
    };
    expect(shown(theirs)).toEqual({ code: 'BOOKING_NOT_FOUND', message: 'no such booking' });
    expect(shown(theirs)).toEqual(shown(none));
    await read(bookingId, instructor, 'instructor').expect(200);
    await read(bookingId, student, 'student').expect(200);
    await read(bookingId, stranger, 'admin').expect(200);
  });

  it('cannot read another service schema: Postgres enforces ownership', async () => {
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    await admin.query('CREATE TABLE IF NOT EXISTS referrals.ownership_probe (id int)');
    await admin.end();
    const own = new Client({ connectionString: config.DATABASE_URL });
    await own.connect();
    await expect(own.query('SELECT * FROM referrals.ownership_probe')).rejects.toThrow(
      /permission denied/,
    );
    await own.end();
  });

  it('refuses forged identity headers and identities it did not sign: 401', async () => {
    const id = await registerInstructor();
    const forged = await request(service.url)
      .get('/accounts/me')
      .set(forgedCallerHeaders(id, 'instructor'))
      .expect(401);
    expect(errorOf(forged).code).toBe('UNAUTHENTICATED');
    const otherKey = callerHeaders('bookings', id, 'instructor', 'k'.repeat(40));
    await request(service.url).get('/accounts/me').set(otherKey).expect(401);
    // Signed for another service: the gateway's call to wallet cannot be replayed here.
    await request(service.url)
      .get('/accounts/me')
      .set(callerHeaders('wallet', id, 'instructor'))
      .expect(401);
    await request(service.url).get('/accounts/me').set(as(id, 'instructor')).expect(200);
  });

  it('answers its internal route to payouts signed as itself, and to no one else', async () => {
    const id = await registerInstructor();
    await request(service.url)
      .put('/accounts/me/payout-account')
      .set(as(id, 'instructor'))
      .send({ stripeAccountId: 'acct_internal1' })
      .expect(200);
    const path = `/internal/accounts/${id}/payout-destination`;
    const key = testInternalAuthKey();
    const res = await request(service.url)
      .get(path)
      .set(serviceCallHeaders({ from: 'payouts', to: 'bookings', key }))
      .expect(200);
    expect(res.body).toEqual({ userId: id, stripeAccountId: 'acct_internal1' });
    await request(service.url).get(path).expect(401);
    await request(service.url).get(path).set(forgedCallerHeaders(id, 'admin')).expect(401);
    await request(service.url).get(path).set(as(id, 'admin')).expect(403);
    await request(service.url)
      .get(path)
      .set(serviceCallHeaders({ from: 'wallet', to: 'bookings', key }))
      .expect(403);
  });

  it('refuses NUL in a string and prototype keys with 422 instead of failing in Postgres', async () => {
    const id = randomUUID();
    for (const [body, field] of [
      [`{"role":"student","email":"${id}@example.test","displayName":"a\\u0000b"}`, 'displayName'],
      [
        `{"role":"student","email":"${id}@example.test","displayName":"S","__proto__":{"x":1}}`,
        '__proto__',
      ],
    ]) {
      const res = await request(service.url)
        .post('/accounts')
        .set(as(id, 'student'))
        .set('content-type', 'application/json')
        .send(body)
        .expect(422);
      expect(errorOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
    await request(service.url).get('/accounts/me').set(as(id, 'student')).expect(404);
  });
  // Last: it runs the schema's last migration down and up again under the running service.
  it('keeps no quotes: the table and the bookings key to it dropped, and back on the way down', async () => {
    const { bookingId } = await bookLesson(3_600_000);
    const owner = bookingsDataSource(config.DATABASE_URL);
    owner.setOptions({ url: testOwnerUrl('bookings') });
    await owner.initialize();
    const shape = async () =>
      (
        await owner.query<Array<Record<string, boolean>>>(
          `SELECT to_regclass('checkout_quotes') IS NOT NULL AS "quotesTable",
                  EXISTS (SELECT 1 FROM pg_constraint
                           WHERE conname = 'bookings_quote_id_fkey') AS "foreignKey",
                  EXISTS (SELECT 1 FROM pg_constraint
                           WHERE conname = 'bookings_quote_id_key') AS "unique"`,
        )
      )[0];
    try {
      expect(await shape()).toEqual({ quotesTable: false, foreignKey: false, unique: true });
      // Booked from a quote that no table holds, as every booking is now.
      const quoteId = randomUUID();
      await owner.query('UPDATE bookings SET quote_id = $1 WHERE id = $2', [quoteId, bookingId]);
      await owner.undoLastMigration({ transaction: 'each' });
      expect(await shape()).toEqual({ quotesTable: true, foreignKey: true, unique: true });
      expect(await owner.query('SELECT 1 FROM checkout_quotes')).toEqual([]);
      // The key is back for new bookings, and the one booked meanwhile keeps its quote id.
      await expect(
        owner.query('UPDATE bookings SET quote_id = $1 WHERE id = $2', [randomUUID(), bookingId]),
      ).rejects.toThrow(/bookings_quote_id_fkey/);
      const [kept] = await owner.query<Array<{ quote_id: string }>>(
        'SELECT quote_id FROM bookings WHERE id = $1',
        [bookingId],
      );
      expect(kept.quote_id).toBe(quoteId);
      await owner.runMigrations({ transaction: 'each' });
      expect(await shape()).toEqual({ quotesTable: false, foreignKey: false, unique: true });
    } finally {
      await owner.destroy();
    }
  });
});
