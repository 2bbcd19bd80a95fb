import { randomUUID } from 'node:crypto';
import { attributionHash } from '@rewards/contracts';
import { loadConfig } from '@rewards/service-kit';
import {
  callerHeaders,
  createTestPaymentMethod,
  errorOf,
  eventually,
  FakeStripe,
  KafkaProbe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
  TEST_CARDS,
} from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { mapBookingsError } from '../src/bookings-error';
import { BookingsConfig } from '../src/config/bookings.config';
import { bookingsDataSource } from '../src/db/data-source';

const as = (userId: string, role: string) => callerHeaders('bookings', userId, role);

describe('bookings card payments', () => {
  const stripe = new FakeStripe();
  let service: RunningServiceApp;
  let config: BookingsConfig;
  let probe: KafkaProbe;
  let db: Client;

  beforeAll(async () => {
    await stripe.start();
    config = loadConfig(
      BookingsConfig,
      serviceTestEnv('bookings', {
        WALLET_URL: 'http://127.0.0.1:9',
        WALLET_TIMEOUT_MS: '500',
        CHECKOUT_QUOTE_SECRET: 'bookings-test-quote-secret-with-32-characters',
        STRIPE_SECRET_KEY: 'sk_test_bookings_payments',
        STRIPE_API_URL: stripe.url,
      }),
    );
    await migrate(bookingsDataSource(config.DATABASE_URL));
    service = await startServiceApp(AppModule.forRoot(config), mapBookingsError);
    probe = new KafkaProbe();
    await probe.watch(['booking-confirmed', 'booking-cancelled', 'lesson-completed']);
    db = new Client({ connectionString: config.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await probe?.close();
    await service?.close();
    await stripe.stop();
  });

  const http = () => request(service.url);

  const liveInstructor = async (): Promise<string> => {
    const id = randomUUID();
    await http()
      .post('/accounts')
      .set(as(id, 'instructor'))
      .send({ role: 'instructor', email: `${id}@example.test`, displayName: 'Ines' })
      .expect(201);
    await http()
      .put('/accounts/me/payout-account')
      .set(as(id, 'instructor'))
      .send({ stripeAccountId: stripe.createAccount().id })
      .expect(200);
    await http().post('/accounts/me/go-live').set(as(id, 'instructor')).expect(200);
    return id;
  };

  const student = async (): Promise<string> => {
    const id = randomUUID();
    await http()
      .post('/accounts')
      .set(as(id, 'student'))
      .send({ role: 'student', email: `${id}@example.test`, displayName: 'Sam' })
      .expect(201);
    return id;
  };

  const book = (studentId: string, instructorId: string, extra: Record<string, unknown>) => {
    const startsAt = new Date(Date.now() + 300);
    return http()
      .post('/bookings')
      .set(as(studentId, 'student'))
      .send({
        instructorId,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents: 8000,
        ...extra,
      });
  };

  const bookingsOf = async (studentId: string) =>
    (await db.query('SELECT id FROM bookings WHERE student_id = $1', [studentId])).rows;

  it('refuses a priced lesson without a payment method, or with a malformed one', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];
    const intentsBefore = stripe.paymentIntents().length;

    const missing = await book(sam, instructor, {}).expect(422);
    const malformed = await book(sam, instructor, { paymentMethodId: 'card_4242' }).expect(422);
    const unknown = await book(sam, instructor, { paymentMethodId: 'pm_unknown' }).expect(422);

    expect(errorOf(missing)).toMatchObject({
      code: 'PAYMENT_METHOD_REQUIRED',
      field: 'paymentMethodId',
    });
    expect(errorOf(malformed)).toMatchObject({ code: 'PAYMENT_METHOD_INVALID' });
    expect(errorOf(unknown)).toMatchObject({ code: 'PAYMENT_METHOD_INVALID' });
    expect(stripe.paymentIntents()).toHaveLength(intentsBefore);
    expect(await bookingsOf(sam)).toEqual([]);
  });

  it('books a free lesson without a card', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];

    const res = await book(sam, instructor, { priceCents: 0 }).expect(201);

    expect(res.body.paymentIntentId).toBeNull();
  });

  it('charges the card, keeps only a keyed hash of its fingerprint and publishes that', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];
    const pm = stripe.createPaymentMethod(TEST_CARDS.visa);

    const res = await book(sam, instructor, { paymentMethodId: pm.id }).expect(201);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await http()
      .post(`/bookings/${res.body.id}/complete`)
      .set(as(instructor, 'instructor'))
      .expect(200);

    const expectedHash = attributionHash(
      config.ATTRIBUTION_HASH_PEPPER,
      'card',
      pm.card.fingerprint,
    );
    const intent = stripe.paymentIntents().find((p) => p.id === res.body.paymentIntentId);
    expect(intent).toMatchObject({ status: 'succeeded', amount: 8000, currency: 'usd' });
    const { rows } = await db.query(
      'SELECT payment_intent_id, payment_fingerprint_hash FROM bookings WHERE id = $1',
      [res.body.id],
    );
    expect(rows).toEqual([
      { payment_intent_id: intent!.id, payment_fingerprint_hash: expectedHash },
    ]);
    const completed = await eventually(() => {
      const found = probe.find('lesson-completed', (v) => v.payload?.bookingId === res.body.id);
      expect(found).toHaveLength(1);
      return JSON.parse(found[0].value) as { payload: Record<string, unknown> };
    });
    expect(completed.payload.paymentFingerprintHash).toBe(expectedHash);
    const published = probe.messages.map((m) => m.value).join('\n');
    expect(published).not.toContain(pm.card.fingerprint);
  });

  it('shows the charge to the student and admins, never to the instructor', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];
    const paymentMethodId = await createTestPaymentMethod(stripe.url);
    const booked = await book(sam, instructor, { paymentMethodId }).expect(201);
    const path = `/bookings/${booked.body.id}`;

    const byStudent = await http().get(path).set(as(sam, 'student')).expect(200);
    const byAdmin = await http().get(path).set(as(randomUUID(), 'admin')).expect(200);
    const byInstructor = await http().get(path).set(as(instructor, 'instructor')).expect(200);
    const cancelled = await http()
      .post(`${path}/cancel`)
      .set(as(instructor, 'instructor'))
      .expect(200);

    expect(booked.body.paymentIntentId).toMatch(/^pi_/);
    expect(byStudent.body.paymentIntentId).toBe(booked.body.paymentIntentId);
    expect(byAdmin.body.paymentIntentId).toBe(booked.body.paymentIntentId);
    expect(byInstructor.body).not.toHaveProperty('paymentIntentId');
    expect(cancelled.body).not.toHaveProperty('paymentIntentId');
    expect(JSON.stringify([byInstructor.body, cancelled.body])).not.toContain('pi_');
  });

  it('answers 402 PAYMENT_DECLINED for a declined card and books nothing', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];
    const paymentMethodId = await createTestPaymentMethod(stripe.url, TEST_CARDS.declined);

    const res = await book(sam, instructor, { paymentMethodId }).expect(402);

    expect(errorOf(res)).toMatchObject({ code: 'PAYMENT_DECLINED', field: 'paymentMethodId' });
    expect(errorOf(res).message).toMatch(/declined/);
    expect(await bookingsOf(sam)).toEqual([]);
    const intents = stripe.paymentIntents().filter((p) => p.payment_method === paymentMethodId);
    expect(intents.map((p) => p.status)).toEqual(['requires_payment_method']);
  });

  it('refunds the whole charge once when the lesson is cancelled, however often asked', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];
    const paymentMethodId = await createTestPaymentMethod(stripe.url);
    const booked = await book(sam, instructor, { paymentMethodId, priceCents: 9000 }).expect(201);

    await http().post(`/bookings/${booked.body.id}/cancel`).set(as(sam, 'student')).expect(200);
    await http().post(`/bookings/${booked.body.id}/cancel`).set(as(sam, 'student')).expect(200);
    await http()
      .post(`/bookings/${booked.body.id}/refund`)
      .set(as(randomUUID(), 'admin'))
      .send({ reason: 'customer_request' })
      .expect(200);

    const refunds = stripe
      .refunds()
      .filter((r) => r.payment_intent === booked.body.paymentIntentId);
    expect(refunds.map((r) => r.amount)).toEqual([9000]);
    const { rows } = await db.query('SELECT payment_refund_id FROM bookings WHERE id = $1', [
      booked.body.id,
    ]);
    expect(rows).toEqual([{ payment_refund_id: refunds[0].id }]);
  });

  it('refunds a taught lesson that support refunds', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];
    const paymentMethodId = await createTestPaymentMethod(stripe.url, TEST_CARDS.mastercard);
    const booked = await book(sam, instructor, { paymentMethodId }).expect(201);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await http()
      .post(`/bookings/${booked.body.id}/complete`)
      .set(as(instructor, 'instructor'))
      .expect(200);

    await http()
      .post(`/bookings/${booked.body.id}/refund`)
      .set(as(randomUUID(), 'admin'))
      .send({ reason: 'lesson_not_held' })
      .expect(200);

    const refunds = stripe
      .refunds()
      .filter((r) => r.payment_intent === booked.body.paymentIntentId);
    expect(refunds.map((r) => r.amount)).toEqual([8000]);
  });

  it('keeps the booking as it was when Stripe cannot refund, and refunds on the retry', async () => {
    const [instructor, sam] = [await liveInstructor(), await student()];
    const paymentMethodId = await createTestPaymentMethod(stripe.url);
    const booked = await book(sam, instructor, { paymentMethodId }).expect(201);
    stripe.failNext(2, {
      status: 500,
      type: 'api_error',
      message: 'Something went wrong.',
      endpoint: 'POST /v1/refunds',
    });

    const failed = await http()
      .post(`/bookings/${booked.body.id}/cancel`)
      .set(as(sam, 'student'))
      .expect(503);
    const still = await http().get(`/bookings/${booked.body.id}`).set(as(sam, 'student'));
    await http().post(`/bookings/${booked.body.id}/cancel`).set(as(sam, 'student')).expect(200);

    expect(errorOf(failed).code).toBe('PAYMENT_UNAVAILABLE');
    expect(still.body.status).toBe('confirmed');
    const refunds = stripe
      .refunds()
      .filter((r) => r.payment_intent === booked.body.paymentIntentId);
    expect(refunds.map((r) => r.amount)).toEqual([8000]);
  });
});
