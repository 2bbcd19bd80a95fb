import { randomUUID } from 'node:crypto';
import { createEnvelope, Topics } from '@rewards/contracts';
import { loadConfig } from '@rewards/service-kit';
import {
  eventually,
  FakeStripe,
  KafkaProbe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
  testAdminUrl,
} from '@rewards/testing';
import { Client } from 'pg';
import { AppModule as PayoutsApp } from '../services/payouts/src/app.module';
import { PayoutsConfig } from '../services/payouts/src/config/payouts.config';
import { payoutsDataSource } from '../services/payouts/src/db/data-source';
import { mapPayoutsError } from '../services/payouts/src/payouts-error';
import { FakeBookings } from '../services/payouts/test/fake-bookings';
import { AppModule as ReferralsApp } from '../services/referrals/src/app.module';
import { ReferralsConfig } from '../services/referrals/src/config/referrals.config';
import { referralsDataSource } from '../services/referrals/src/db/data-source';
import { mapReferralsError } from '../services/referrals/src/referrals-error';

const REFERRALS = 1000;
const FOUNDING_SPOTS = 100;

/**
 * A thousand referred instructors, all live, complete their first lesson at once: referrals
 * decides the bonuses under the founding cap, payouts pays each by one Stripe Transfer.
 */
describe('a thousand first lessons at once', () => {
  const stripe = new FakeStripe();
  const bookings = new FakeBookings();
  const probe = new KafkaProbe();
  let referrals: RunningServiceApp;
  let payouts: RunningServiceApp;
  let db: Client;
  let spotsLeftBefore: number | undefined;

  beforeAll(async () => {
    await stripe.start(0);
    await bookings.start();
    const referralsConfig = loadConfig(ReferralsConfig, serviceTestEnv('referrals'));
    const payoutsConfig = loadConfig(
      PayoutsConfig,
      serviceTestEnv('payouts', {
        STRIPE_SECRET_KEY: 'sk_test_scale',
        STRIPE_WEBHOOK_SECRET: 'whsec_scale',
        STRIPE_API_URL: stripe.url,
        BOOKINGS_URL: bookings.url,
        // Stripe's live-mode rate: 3,000 calls take 30 s at it, 120 s at the test-mode 25.
        STRIPE_RATE_LIMIT_PER_SECOND: '100',
        PAYOUT_MAX_CONCURRENT_ATTEMPTS: '16',
        PAYOUT_LEASE_MS: '60000',
        PAYOUT_RESUME_MAX_BACKOFF_MS: '60000',
        PAYOUT_UNCERTAIN_RETRY_MS: '60000',
      }),
    );
    await migrate(referralsDataSource(referralsConfig.DATABASE_URL));
    await migrate(payoutsDataSource(payoutsConfig.DATABASE_URL));
    referrals = await startServiceApp(ReferralsApp.forRoot(referralsConfig), mapReferralsError);
    payouts = await startServiceApp(PayoutsApp.forRoot(payoutsConfig), mapPayoutsError);
    db = new Client({ connectionString: testAdminUrl() });
    await db.connect();
  });

  afterAll(async () => {
    // Other suites share the program: leave them as many founding spots as they had.
    if (spotsLeftBefore !== undefined) {
      await db.query(
        `UPDATE referrals.program_config SET value = to_jsonb(
           (SELECT value FROM referrals.program_counters WHERE name = 'founding_instructor_bonuses')
           + $1::int)
         WHERE key = 'founding_instructor_cap'`,
        [spotsLeftBefore],
      );
    }
    await probe.close();
    await payouts?.close();
    await referrals?.close();
    await db?.end();
    await bookings.stop();
    await stripe.stop();
  });

  it(`pays exactly ${FOUNDING_SPOTS} founding bonuses and ${REFERRALS - FOUNDING_SPOTS} standard ones, one transfer each`, async () => {
    const pairs = Array.from({ length: REFERRALS }, () => ({
      referrer: randomUUID(),
      referee: randomUUID(),
    }));
    const wentLiveAt = new Date(Date.now() - 86_400_000);
    // Referred and live, as signup and go-live events would have left them.
    await db.query(
      `WITH p AS (SELECT * FROM unnest($1::uuid[], $2::uuid[]) AS p(referrer, referee)),
       a AS (INSERT INTO referrals.attributions (referee_id, referrer_id, code, program, outcome,
               decided_at)
             SELECT referee, referrer, 'SCALE', 'instructor', 'attributed', $3 FROM p),
       m AS (INSERT INTO referrals.instructor_milestones (instructor_id, went_live_at)
             SELECT referee, $3 FROM p)
       INSERT INTO referrals.instructor_referrals (referee_id, referrer_id, status, attributed_at,
         went_live_at, updated_at)
       SELECT referee, referrer, 'pending_lesson', $3, $3, $3 FROM p`,
      [pairs.map((p) => p.referrer), pairs.map((p) => p.referee), wentLiveAt],
    );
    const accountOf = new Map<string, string>();
    for (const { referrer } of pairs) {
      const account = stripe.createAccount().id;
      accountOf.set(referrer, account);
      bookings.setAccount(referrer, account);
    }
    const [{ awarded }] = (
      await db.query<{ awarded: number }>(
        `SELECT value AS awarded FROM referrals.program_counters
         WHERE name = 'founding_instructor_bonuses'`,
      )
    ).rows;
    const [{ cap }] = (
      await db.query<{ cap: number }>(
        `SELECT value AS cap FROM referrals.program_config WHERE key = 'founding_instructor_cap'`,
      )
    ).rows;
    spotsLeftBefore = Math.max(0, cap - awarded);
    await db.query(
      `UPDATE referrals.program_config SET value = to_jsonb($1::int)
       WHERE key = 'founding_instructor_cap'`,
      [awarded + FOUNDING_SPOTS],
    );

    const startsAt = new Date(Date.now() - 3_600_000).toISOString();
    const lessons = pairs.map(({ referee }) => {
      const bookingId = randomUUID();
      const event = createEnvelope({
        type: Topics.LessonCompleted,
        version: 2,
        producer: 'test',
        key: bookingId,
        occurredAt: new Date(),
        payload: {
          bookingId,
          studentId: randomUUID(),
          instructorId: referee,
          price: { amountCents: 8000, currency: 'USD' },
          completedBy: 'instructor',
          startsAt,
          completedAt: new Date().toISOString(),
        },
      });
      return { key: bookingId, value: JSON.stringify(event) };
    });
    // The first connects the producer; the rest go out at once.
    await probe.produce(Topics.LessonCompleted, lessons[0].key, lessons[0].value);
    await Promise.all(
      lessons.slice(1).map((l) => probe.produce(Topics.LessonCompleted, l.key, l.value)),
    );

    const referees = pairs.map((p) => p.referee);
    // Generous: on a loaded machine the whole chain takes a while; it only has to finish.
    await eventually(
      async () => {
        const { rows } = await db.query<{ status: string; n: string }>(
          `SELECT status, count(*) AS n FROM referrals.instructor_referrals
           WHERE referee_id = ANY($1) GROUP BY status`,
          [referees],
        );
        expect(rows).toEqual([{ status: 'paid', n: String(REFERRALS) }]);
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );

    const bonuses = (
      await db.query<{
        referrer_id: string;
        payout_id: string;
        bonus_cents: number;
        founding: boolean;
      }>(
        `SELECT referrer_id, payout_id, bonus_cents, founding FROM referrals.instructor_referrals
         WHERE referee_id = ANY($1)`,
        [referees],
      )
    ).rows;
    const count = (cents: number, founding: boolean) =>
      bonuses.filter((b) => b.bonus_cents === cents && b.founding === founding).length;
    expect([count(7500, true), count(5000, false)]).toEqual([
      FOUNDING_SPOTS,
      REFERRALS - FOUNDING_SPOTS,
    ]);

    const payoutIds = new Set(bonuses.map((b) => b.payout_id));
    const transfers = stripe.transfers().filter((t) => payoutIds.has(t.transfer_group ?? ''));
    expect(transfers).toHaveLength(REFERRALS);
    expect(new Set(transfers.map((t) => t.transfer_group)).size).toBe(REFERRALS);
    const bonusOf = new Map(bonuses.map((b) => [b.payout_id, b]));
    const wrong = transfers.filter((t) => {
      const bonus = bonusOf.get(t.transfer_group ?? '');
      return t.amount !== bonus?.bonus_cents || t.destination !== accountOf.get(bonus.referrer_id);
    });
    expect(wrong).toEqual([]);
    const [{ value }] = (
      await db.query<{ value: number }>(
        `SELECT value FROM referrals.program_counters WHERE name = 'founding_instructor_bonuses'`,
      )
    ).rows;
    expect(value).toBe(awarded + FOUNDING_SPOTS);
  });
});
