import { randomUUID } from 'node:crypto';
import { loadConfig } from '@rewards/service-kit';
import {
  FakeStripe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
} from '@rewards/testing';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { PayoutsConfig } from '../src/config/payouts.config';
import { payoutsDataSource } from '../src/db/data-source';
import { ProcessDuePayoutsJob } from '../src/payouts/process-due-payouts.job';
import { mapPayoutsError } from '../src/payouts-error';
import { FakeBookings } from './fake-bookings';

const RATE = 25;
const PAYOUTS = 60;

/** The most events (epoch ms, ascending) within any span shorter than one second. */
function maxInAnySecond(times: number[]): number {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/**
 * Two replicas of payouts, each running many attempts at once, against one Stripe: together
 * they never start more than STRIPE_RATE_LIMIT_PER_SECOND calls a second, as Stripe counts them.
 */
describe('Stripe rate across replicas', () => {
  const stripe = new FakeStripe();
  const bookings = new FakeBookings();
  const replicas: RunningServiceApp[] = [];
  let db: Client;

  beforeAll(async () => {
    await stripe.start(0);
    await bookings.start();
    const config = loadConfig(
      PayoutsConfig,
      serviceTestEnv('payouts', {
        STRIPE_SECRET_KEY: 'sk_test_rate',
        STRIPE_WEBHOOK_SECRET: 'whsec_rate',
        STRIPE_API_URL: stripe.url,
        BOOKINGS_URL: bookings.url,
        STRIPE_RATE_LIMIT_PER_SECOND: String(RATE),
        PAYOUT_MAX_CONCURRENT_ATTEMPTS: '10',
        // Generous: attempts queue on the limiter for seconds on a loaded machine.
        PAYOUT_LEASE_MS: '60000',
        PAYOUT_RESUME_MAX_BACKOFF_MS: '60000',
        PAYOUT_UNCERTAIN_RETRY_MS: '60000',
      }),
    );
    await migrate(payoutsDataSource(config.DATABASE_URL));
    for (let i = 0; i < 2; i++) {
      replicas.push(await startServiceApp(AppModule.forRoot(config), mapPayoutsError));
    }
    db = new Client({ connectionString: config.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    for (const replica of replicas) await replica.close();
    await bookings.stop();
    await stripe.stop();
  });

  it(`holds two busy replicas to ${RATE} Stripe calls a second, and pays each payout once`, async () => {
    const ids = Array.from({ length: PAYOUTS }, () => randomUUID());
    for (const id of ids) {
      const beneficiary = randomUUID();
      bookings.setAccount(beneficiary, stripe.createAccount().id);
      await db.query(
        `INSERT INTO payouts.payouts (id, reward_id, beneficiary_id, amount_cents, currency, status,
           attempts, next_attempt_at, requested_at, created_at, updated_at)
         VALUES ($1, $2, $3, 5000, 'USD', 'pending_transfer', 0, now(), now(), now(), now())`,
        [id, randomUUID(), beneficiary],
      );
    }

    // Both replicas sweep at once, each with its workers (their resume polls join in too).
    await Promise.all(replicas.map((r) => r.app.get(ProcessDuePayoutsJob).runDueOnce()));
    await Promise.all(replicas.map((r) => r.app.get(ProcessDuePayoutsJob).idle()));

    const { rows } = await db.query<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM payouts.payouts WHERE id = ANY($1) GROUP BY status',
      [ids],
    );
    expect(rows).toEqual([{ status: 'paid', n: String(PAYOUTS) }]);
    const groups = stripe.transfers().map((t) => t.transfer_group);
    expect(new Set(groups).size).toBe(groups.length);
    expect(ids.every((id) => groups.includes(id))).toBe(true);

    // The grants, by the database clock: never more than the rate in any one-second span.
    const { rows: grants } = await db.query<{ at: string }>(
      `SELECT (extract(epoch FROM granted_at) * 1000000)::bigint AS at
       FROM payouts.stripe_rate_grants ORDER BY granted_at`,
    );
    expect(maxInAnySecond(grants.map((g) => Number(g.at) / 1000))).toBeLessThanOrEqual(RATE);

    // As Stripe sees them: a call reaches it a moment after its grant, and under load some
    // moments are longer than others, hence a little slack; and the overall rate besides.
    const requests = stripe.requests();
    expect(requests.length).toBeGreaterThanOrEqual(PAYOUTS * 3);
    expect(maxInAnySecond(requests.map((r) => r.receivedAt))).toBeLessThanOrEqual(RATE + 3);
    const spanSeconds = (requests.at(-1)!.receivedAt - requests[0].receivedAt) / 1000;
    expect(spanSeconds).toBeGreaterThanOrEqual(requests.length / RATE - 1);
    expect(requests.filter((r) => r.status === 429)).toEqual([]);
  });
});
