import { randomUUID } from 'node:crypto';
import { loadConfig, ManualClock } from '@rewards/service-kit';
import {
  callerHeaders,
  errorOf,
  FakeStripe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
  testOwnerUrl,
} from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { mapBookingsError } from '../src/bookings-error';
import { BookingsConfig } from '../src/config/bookings.config';
import { bookingsDataSource } from '../src/db/data-source';
import { ReconcileChargeAttemptsJob } from '../src/payments/reconcile-charge-attempts.job';

const as = (userId: string, role: string) => callerHeaders('bookings', userId, role);
const GRACE_MS = 60_000;
/** A price the test's trigger refuses to book: the commit after the charge fails. */
const UNBOOKABLE_CENTS = 7777;

describe(ReconcileChargeAttemptsJob.name, () => {
  const stripe = new FakeStripe();
  const clock = new ManualClock(new Date());
  let service: RunningServiceApp;
  let db: Client;
  let job: ReconcileChargeAttemptsJob;

  beforeAll(async () => {
    await stripe.start();
    const config = loadConfig(
      BookingsConfig,
      serviceTestEnv('bookings', {
        WALLET_URL: 'http://127.0.0.1:9',
        WALLET_TIMEOUT_MS: '500',
        CHECKOUT_QUOTE_SECRET: 'bookings-test-quote-secret-with-32-characters',
        STRIPE_SECRET_KEY: 'sk_test_bookings_reconcile',
        STRIPE_API_URL: stripe.url,
        CHARGE_RECONCILE_GRACE_MS: String(GRACE_MS),
        // Ticks only when the test asks (and once at start, with nothing to do).
        CHARGE_RECONCILE_INTERVAL_MS: '3600000',
      }),
    );
    await migrate(bookingsDataSource(config.DATABASE_URL));
    db = new Client({ connectionString: config.DATABASE_URL });
    await db.connect();
    // Stands for a crash between the charge and the booking's commit (made by the schema owner).
    const owner = new Client({ connectionString: testOwnerUrl('bookings') });
    await owner.connect();
    await owner.query(`
      CREATE FUNCTION refuse_unbookable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the test refuses this booking'; END $$;
      CREATE TRIGGER refuse_unbookable BEFORE INSERT ON bookings
        FOR EACH ROW WHEN (NEW.price_cents = ${UNBOOKABLE_CENTS})
        EXECUTE FUNCTION refuse_unbookable();
    `);
    await owner.end();
    service = await startServiceApp(AppModule.forRoot(config, { clock }), mapBookingsError);
    job = service.app.get(ReconcileChargeAttemptsJob);
  });

  afterAll(async () => {
    await db?.end();
    await service?.close();
    await stripe.stop();
  });

  const http = () => request(service.url);

  const parties = async (): Promise<{ instructor: string; student: string }> => {
    const [instructor, student] = [randomUUID(), randomUUID()];
    await http()
      .post('/accounts')
      .set(as(instructor, 'instructor'))
      .send({ role: 'instructor', email: `${instructor}@example.test`, displayName: 'Ines' })
      .expect(201);
    await http()
      .put('/accounts/me/payout-account')
      .set(as(instructor, 'instructor'))
      .send({ stripeAccountId: stripe.createAccount().id })
      .expect(200);
    await http().post('/accounts/me/go-live').set(as(instructor, 'instructor')).expect(200);
    await http()
      .post('/accounts')
      .set(as(student, 'student'))
      .send({ role: 'student', email: `${student}@example.test`, displayName: 'Sam' })
      .expect(201);
    return { instructor, student };
  };

  const book = async (priceCents: number) => {
    const { instructor, student } = await parties();
    const startsAt = new Date(clock.now().getTime() + 3_600_000);
    const res = await http()
      .post('/bookings')
      .set(as(student, 'student'))
      .send({
        instructorId: instructor,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents,
        paymentMethodId: stripe.createPaymentMethod().id,
      });
    return { res, student };
  };

  const attemptsOf = async (student: string) =>
    (
      await db.query<{ state: string; payment_intent_id: string | null; refund_id: string | null }>(
        'SELECT state, payment_intent_id, refund_id FROM charge_attempts WHERE student_id = $1',
        [student],
      )
    ).rows;
  const refundsOf = (paymentIntentId: string) =>
    stripe.refunds().filter((r) => r.payment_intent === paymentIntentId);
  const bookingsOf = async (student: string) =>
    (await db.query('SELECT id FROM bookings WHERE student_id = $1', [student])).rows;

  /** Past the grace period, the job runs (twice: a second run must change nothing). */
  const reconcile = async () => {
    clock.advance(GRACE_MS + 1000);
    const first = await job.runOnce();
    const second = await job.runOnce();
    return { first, second };
  };

  it('refunds once a charge whose answer was lost (a crash before it was kept)', async () => {
    // Stripe charges, the answer never arrives: the booking is not made and nothing knows the
    // intent's id but Stripe.
    stripe.failNext(1, {
      status: 500,
      type: 'api_error',
      message: 'Something went wrong.',
      endpoint: 'POST /v1/payment_intents',
      executed: true,
      shouldRetry: false,
    });
    const { res, student } = await book(8000);
    expect(errorOf(res).code).toBe('PAYMENT_UNAVAILABLE');
    expect(await attemptsOf(student)).toMatchObject([
      { state: 'charging', payment_intent_id: null },
    ]);
    const { rows } = await db.query<{ id: string }>(
      'SELECT id FROM charge_attempts WHERE student_id = $1',
      [student],
    );
    const intent = stripe.paymentIntents().find((p) => p.metadata.charge_attempt_id === rows[0].id);
    expect(intent).toMatchObject({ status: 'succeeded', amount: 8000 });

    // Within the grace period the request may still be under way: left alone.
    expect((await job.runOnce()).refunded).toBe(0);
    const { first, second } = await reconcile();

    expect(first).toMatchObject({ refunded: 1, failed: 0 });
    expect(second).toMatchObject({ refunded: 0, failed: 0 });
    expect(refundsOf(intent!.id).map((r) => r.amount)).toEqual([8000]);
    expect(await attemptsOf(student)).toEqual([
      { state: 'refunded', payment_intent_id: intent!.id, refund_id: refundsOf(intent!.id)[0].id },
    ]);
    expect(await bookingsOf(student)).toEqual([]);
  });

  it('refunds a charge whose booking failed while Stripe could not refund, once it can', async () => {
    stripe.failNext(2, {
      status: 500,
      type: 'api_error',
      message: 'Something went wrong.',
      endpoint: 'POST /v1/refunds',
    });
    const { res, student } = await book(UNBOOKABLE_CENTS);
    expect(res.status).toBe(500);
    const [open] = await attemptsOf(student);
    expect(open.state).toBe('charging');
    expect(open.payment_intent_id).toMatch(/^pi_/);
    expect(refundsOf(open.payment_intent_id!)).toEqual([]);

    const { first, second } = await reconcile();

    expect(first).toMatchObject({ refunded: 1, failed: 0 });
    expect(second).toMatchObject({ refunded: 0, failed: 0 });
    expect(refundsOf(open.payment_intent_id!).map((r) => r.amount)).toEqual([UNBOOKABLE_CENTS]);
    expect((await attemptsOf(student))[0].state).toBe('refunded');
    expect(await bookingsOf(student)).toEqual([]);
  });

  it('refunds at once a charge whose booking failed while Stripe answers', async () => {
    const { res, student } = await book(UNBOOKABLE_CENTS);
    expect(res.status).toBe(500);
    const [settled] = await attemptsOf(student);

    await reconcile();

    expect(settled.state).toBe('refunded');
    expect(refundsOf(settled.payment_intent_id!)).toHaveLength(1);
  });

  it('never refunds a charge its booking holds', async () => {
    const { res, student } = await book(9000);
    expect(res.status).toBe(201);

    await reconcile();

    expect(await attemptsOf(student)).toEqual([
      { state: 'booked', payment_intent_id: res.body.paymentIntentId, refund_id: null },
    ]);
    expect(refundsOf(res.body.paymentIntentId as string)).toEqual([]);
  });

  it('abandons a charge Stripe never made', async () => {
    stripe.failNext(2, {
      status: 500,
      type: 'api_error',
      message: 'Something went wrong.',
      endpoint: 'POST /v1/payment_intents',
    });
    const intentsBefore = stripe.paymentIntents().length;
    const { res, student } = await book(8000);
    expect(errorOf(res).code).toBe('PAYMENT_UNAVAILABLE');

    await reconcile();

    expect(await attemptsOf(student)).toEqual([
      { state: 'abandoned', payment_intent_id: null, refund_id: null },
    ]);
    expect(stripe.paymentIntents()).toHaveLength(intentsBefore);
  });
});
