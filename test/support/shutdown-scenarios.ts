import { randomUUID } from 'node:crypto';
import { createEnvelope, EventEnvelope, Topics } from '@rewards/contracts';
import {
  callerHeaders,
  eventually,
  FakeStripe,
  KafkaProbe,
  rewardUnlockedEvent,
} from '@rewards/testing';
import { Client } from 'pg';
import type { LoadOutcome, LoadRequest } from './load';
import { freePort, publications, ServiceProcesses, type DrilledService } from './shutdown-drill';

/** What a scenario may use: the broker probe, the run's database (admin), the processes. */
export interface DrillContext {
  probe: KafkaProbe;
  db: Client;
  processes: ServiceProcesses;
}

/** What the drill saw, for a scenario to check its effects on. */
interface DrillRun {
  events: Array<EventEnvelope<object>>;
  /** The load's requests, answered or not. */
  outcomes: LoadOutcome[];
  /** The next replica's address. */
  base: string;
  /** When the first replica got SIGTERM (epoch ms). */
  sigtermAt: number;
}

/** What one service is drilled with, and how to tell everything was done exactly once. */
export interface Scenario {
  service: DrilledService;
  /** Starts what the service needs besides Postgres and Kafka; its environment and teardown. */
  setUp?: (
    ctx: DrillContext,
  ) => Promise<{ env: Record<string, string>; tearDown?: () => Promise<void> }>;
  /** Each request of the load, and the status every answered one must have. */
  request: () => LoadRequest;
  status: number;
  /** The stream of events it consumes (none for the gateway), one every `intervalMs`. */
  events?: { next: () => EventEnvelope<object>; intervalMs: number };
  /**
   * Runs just before SIGTERM, once the pod is out of the endpoints: puts work in flight that the
   * drain must see through (a Stripe call awaiting its answer).
   */
  beforeSigterm?: (ctx: DrillContext) => Promise<void>;
  /** Throws until every event and accepted request has its effect exactly once. */
  doneOnce?: (ctx: DrillContext, run: DrillRun) => Promise<void>;
}

/** Exactly the keys of `expected` counted, each once (an event published, a transfer made). */
function expectOncePer(counted: Map<string, number>, expected: string[]): void {
  const wrong = expected.filter((key) => counted.get(key) !== 1);
  expect(wrong.map((key) => [key, counted.get(key) ?? 0])).toEqual([]);
  const wanted = new Set(expected);
  expect([...counted.keys()].filter((key) => !wanted.has(key))).toEqual([]);
}

const usd = (amountCents: number) => ({ amountCents, currency: 'USD' });

const walletOwner = randomUUID();
const wallet: Scenario = {
  // Unlocked rewards credit one user's wallet, 100 cents each, each announced once.
  service: 'wallet',
  request: () => ({
    method: 'GET',
    path: '/wallet/me',
    headers: callerHeaders('wallet', walletOwner, 'student'),
  }),
  status: 200,
  events: {
    intervalMs: 10,
    next: () => rewardUnlockedEvent({ beneficiaryId: walletOwner, amountCents: 100 }),
  },
  doneOnce: async ({ probe }, { events, base }) => {
    const answer = await fetch(`${base}/wallet/me`, {
      headers: callerHeaders('wallet', walletOwner, 'student'),
    });
    const body = (await answer.json()) as { balances: Array<{ availableCents: number }> };
    expect(body.balances[0]?.availableCents).toBe(events.length * 100);
    const credited = probe.find(
      Topics.WalletCredited,
      (v: { payload?: { ownerId?: string } }) => v.payload?.ownerId === walletOwner,
    );
    expectOncePer(
      publications(credited, (v) => String(v.payload.sourceId)),
      events.map((e) => (e.payload as { rewardId: string }).rewardId),
    );
  },
};

const userRegistered = (role: 'student' | 'instructor') => () => {
  const userId = randomUUID();
  return createEnvelope({
    type: Topics.UserRegistered,
    version: 1,
    producer: 'bookings',
    key: userId,
    occurredAt: new Date(),
    payload: {
      userId,
      role,
      email: `${userId}@example.test`,
      displayName: 'S',
      registeredAt: new Date().toISOString(),
    },
  });
};

const referrals: Scenario = {
  // Every registered user gets one referral code.
  service: 'referrals',
  request: () => ({ method: 'GET', path: '/referrals/founding-status', headers: {} }),
  status: 200,
  events: { intervalMs: 10, next: userRegistered('student') },
  doneOnce: async ({ db }, { events }) => {
    const users = events.map((e) => (e.payload as { userId: string }).userId);
    const { rows } = await db.query<{ user_id: string; n: string }>(
      `SELECT user_id, count(*) AS n FROM referrals.referral_codes
        WHERE user_id = ANY($1::uuid[]) GROUP BY user_id`,
      [users],
    );
    expect(rows.length).toBe(users.length);
    expect(rows.filter((r) => r.n !== '1')).toEqual([]);
  },
};

const bookings: Scenario = {
  // Students sign up (a write and its user-registered event) while referral attributions arrive
  // (each records the student's first-lesson discount).
  service: 'bookings',
  setUp: () =>
    Promise.resolve({
      env: {
        CHECKOUT_QUOTE_SECRET: 'drill-checkout-quote-secret-of-32-characters-at-least',
        // Signups never charge a card: no Stripe is asked.
        STRIPE_SECRET_KEY: 'sk_test_drill',
      },
    }),
  request: () => {
    const userId = randomUUID();
    return {
      method: 'POST',
      path: '/accounts',
      headers: callerHeaders('bookings', userId, 'student'),
      json: { role: 'student', email: `${userId}@example.test`, displayName: 'Drill' },
      tag: userId,
    };
  },
  status: 201,
  events: {
    intervalMs: 10,
    next: () => {
      const refereeId = randomUUID();
      return createEnvelope({
        type: Topics.ReferralAttributed,
        version: 2,
        producer: 'referrals',
        key: refereeId,
        occurredAt: new Date(),
        payload: {
          attributionId: randomUUID(),
          program: 'student',
          referrerId: randomUUID(),
          refereeId,
          code: 'DRILL-1234',
          attributedAt: new Date().toISOString(),
          refereeDiscount: { amount: usd(2000), minimumLessonPrice: usd(7500) },
        },
      });
    },
  },
  doneOnce: async ({ db, probe }, { events, outcomes }) => {
    const students = events.map((e) => (e.payload as { refereeId: string }).refereeId);
    const { rows: discounts } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM bookings.referee_discounts WHERE student_id = ANY($1::uuid[])`,
      [students],
    );
    expect(Number(discounts[0].n)).toBe(students.length);

    // Each signup answered has its account and its event, once; one never answered has neither.
    const signedUp = outcomes.filter((o) => o.status === 201).map((o) => o.tag as string);
    const unanswered = outcomes.filter((o) => o.status === undefined).map((o) => o.tag as string);
    const tags = new Set([...signedUp, ...unanswered]);
    const { rows: accounts } = await db.query<{ id: string }>(
      'SELECT id FROM bookings.accounts WHERE id = ANY($1::uuid[])',
      [[...tags]],
    );
    expect(accounts.map((a) => a.id).sort()).toEqual([...signedUp].sort());
    const registered = publications(
      probe.find(Topics.UserRegistered, (v: { payload?: { userId?: string } }) =>
        tags.has(v.payload?.userId ?? ''),
      ),
      (v) => String(v.payload.userId),
    );
    expectOncePer(registered, signedUp);
  },
};

const payoutsBeneficiary = randomUUID();
const stripe = new FakeStripe();
const TRANSFERS = 'POST /v1/transfers';
/** The transfer whose answer Stripe holds back across SIGTERM. */
let inFlightAtSigterm: { idempotencyKey?: string; receivedAt: number } | undefined;
const payouts: Scenario = {
  // Instructor bonuses are requested while the instructor reads their payouts: each payout gets
  // exactly one Stripe transfer and one payout-paid, whichever replica made it, even the one
  // whose transfer Stripe had made but not yet answered when SIGTERM came.
  service: 'payouts',
  setUp: async ({ processes }) => {
    await stripe.start(0);
    // The real bookings answers payouts' internal route for the instructor's connected account.
    const bookingsPort = await freePort();
    const bookingsProcess = await processes.start('bookings', bookingsPort, "payouts' upstream", {
      CHECKOUT_QUOTE_SECRET: 'drill-checkout-quote-secret-of-32-characters-at-least',
      // Only accounts are asked of it here: no card is charged.
      STRIPE_SECRET_KEY: 'sk_test_drill',
      STRIPE_API_URL: stripe.url,
    });
    const bookingsUrl = `http://127.0.0.1:${bookingsPort}`;
    const asInstructor = {
      ...callerHeaders('bookings', payoutsBeneficiary, 'instructor'),
      'content-type': 'application/json',
    };
    const signedUp = await fetch(`${bookingsUrl}/accounts`, {
      method: 'POST',
      headers: asInstructor,
      body: JSON.stringify({
        role: 'instructor',
        email: `${payoutsBeneficiary}@example.test`,
        displayName: 'Drill Instructor',
      }),
    });
    expect(signedUp.status).toBe(201);
    const connected = await fetch(`${bookingsUrl}/accounts/me/payout-account`, {
      method: 'PUT',
      headers: asInstructor,
      body: JSON.stringify({ stripeAccountId: stripe.createAccount().id }),
    });
    expect(connected.status).toBe(200);
    return {
      env: {
        STRIPE_SECRET_KEY: 'sk_test_drill',
        STRIPE_WEBHOOK_SECRET: 'whsec_drill',
        STRIPE_API_URL: stripe.url,
        BOOKINGS_URL: bookingsUrl,
        // Payouts requested while the first replica drains wait for the next one's poll.
        PAYOUT_RESUME_INTERVAL_MS: '500',
      },
      tearDown: async () => {
        await bookingsProcess.stop(2000);
        await stripe.stop();
      },
    };
  },
  beforeSigterm: async () => {
    // The next transfer is made at once and answered 3 s later: SIGTERM comes while it waits.
    const before = new Set(stripe.requests().map((r) => `${r.receivedAt}:${r.idempotencyKey}`));
    stripe.delayNext(1, { endpoint: TRANSFERS, delayMs: 3000 });
    inFlightAtSigterm = await eventually(
      () => {
        const held = stripe
          .requests()
          .find(
            (r) =>
              `${r.method} ${r.path}` === TRANSFERS &&
              r.answeredAt === undefined &&
              !before.has(`${r.receivedAt}:${r.idempotencyKey}`),
          );
        if (!held) throw new Error('no transfer in flight yet');
        return held;
      },
      { timeoutMs: 10_000, intervalMs: 5 },
    );
  },
  request: () => ({
    method: 'GET',
    path: '/payouts/me',
    headers: callerHeaders('payouts', payoutsBeneficiary, 'instructor'),
  }),
  status: 200,
  events: {
    // Three Stripe calls a payout, within the service's default Stripe rate (25 a second).
    intervalMs: 150,
    next: () => {
      const payoutId = randomUUID();
      return createEnvelope({
        type: Topics.PayoutRequested,
        version: 1,
        producer: 'referrals',
        key: payoutId,
        occurredAt: new Date(),
        payload: {
          payoutId,
          rewardId: randomUUID(),
          beneficiaryId: payoutsBeneficiary,
          amount: usd(7500),
          reason: 'instructor_referral_bonus',
          requestedAt: new Date().toISOString(),
        },
      });
    },
  },
  doneOnce: async ({ db, probe }, { events, sigtermAt }) => {
    // The transfer held across SIGTERM was answered (to the draining replica) after it. It was
    // seen in flight before the signal went, possibly within the same millisecond.
    const held = stripe
      .requests()
      .find(
        (r) =>
          r.receivedAt === inFlightAtSigterm?.receivedAt &&
          r.idempotencyKey === inFlightAtSigterm.idempotencyKey,
      );
    expect(held?.receivedAt).toBeLessThanOrEqual(sigtermAt);
    expect(held?.answeredAt).toBeGreaterThan(sigtermAt);
    expect(held?.status).toBe(200);
    const ids = events.map((e) => (e.payload as { payoutId: string }).payoutId);
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM payouts.payouts WHERE id = ANY($1::uuid[]) AND status = 'paid'`,
      [ids],
    );
    expect(rows.length).toBe(ids.length);
    const transfers = new Map<string, number>();
    for (const t of stripe.transfers()) {
      const group = t.transfer_group ?? '';
      transfers.set(group, (transfers.get(group) ?? 0) + 1);
    }
    expectOncePer(transfers, ids);
    const paid = probe.find(
      Topics.PayoutPaid,
      (v: { payload?: { beneficiaryId?: string } }) =>
        v.payload?.beneficiaryId === payoutsBeneficiary,
    );
    expectOncePer(
      publications(paid, (v) => String(v.payload.payoutId)),
      ids,
    );
  },
};

const gateway: Scenario = {
  // Public requests relayed to referrals; the gateway owns nothing, so only requests can fail.
  service: 'gateway',
  setUp: async ({ processes }) => {
    const port = await freePort();
    await processes.start('referrals', port, "the gateway's upstream");
    const upstream = `http://127.0.0.1:${port}`;
    // Only referrals is called; the others are named for the gateway's (optional) health checks.
    return {
      env: {
        REFERRALS_URL: upstream,
        BOOKINGS_URL: upstream,
        WALLET_URL: upstream,
        PAYOUTS_URL: upstream,
      },
    };
  },
  request: () => ({ method: 'GET', path: '/referrals/founding-status', headers: {} }),
  status: 200,
};

export const SCENARIOS: Scenario[] = [wallet, referrals, bookings, payouts, gateway];
