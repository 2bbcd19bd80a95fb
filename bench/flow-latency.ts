// Walking-skeleton flow latency, measured through the gateway of a running platform (`npm start`):
// instructor A refers instructor B, B teaches a student's lesson, A's referral bonus is paid out.
// Records lesson completion -> A sees the paid payout, and the whole flow. See bench/README.md.
import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import { createTestPaymentMethod } from '../libs/testing/src/test-card';
import { poll, request, sleep, unlessRefused } from './bench-http';
import {
  appendTableRow,
  describeEnvironment,
  findRepoRoot,
  summarize,
  writeResultFile,
} from './bench-report';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const config = {
  gatewayUrl: (process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, ''),
  fakeStripeUrl: (process.env.FAKE_STRIPE_URL ?? 'http://127.0.0.1:12111').replace(/\/$/, ''),
  // The fake accepts any bearer key; a test-mode prefix keeps it honest.
  fakeStripeKey: process.env.FAKE_STRIPE_KEY ?? 'sk_test_bench',
  flows: positiveInt('BENCH_FLOWS', 200),
  concurrency: positiveInt('BENCH_CONCURRENCY', 4),
  flowTimeoutMs: positiveInt('BENCH_FLOW_TIMEOUT_MS', 30_000),
  pollIntervalMs: positiveInt('BENCH_POLL_INTERVAL_MS', 50),
  /** How far ahead each lesson starts: bookings refuse a start in the past. */
  lessonLeadMs: 1_000,
};

interface DevToken {
  token: string;
  userId: string;
}
interface ReferralStats {
  code: string;
}
interface ReferredInstructors {
  items: { refereeId: string; status: string }[];
}
interface Booking {
  id: string;
}
interface Payouts {
  items: { status: string; amount: { amountCents: number; currency: string } }[];
}

interface FlowTimings {
  completionToPaidMs: number;
  wholeFlowMs: number;
}

// Unique per run and flow: accounts from earlier runs stay in the platform's database.
const runId = randomUUID().slice(0, 8);

async function runFlow(index: number): Promise<FlowTimings> {
  const started = performance.now();
  const deadline = started + config.flowTimeoutMs;
  const gw = <T>(method: string, path: string, token?: string, json?: unknown): Promise<T> =>
    request<T>(config.gatewayUrl, method, path, { token, json, deadline });
  const until = <T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> =>
    poll(what, attempt, deadline, config.pollIntervalMs);
  const email = (who: string): string => `bench-${runId}-${index}-${who}@example.com`;
  const stripeAccount = async (who: string): Promise<string> => {
    const account = await request<{ id: string }>(config.fakeStripeUrl, 'POST', '/v1/accounts', {
      token: config.fakeStripeKey,
      form: { type: 'express', email: email(who) },
      deadline,
    });
    return account.id;
  };
  const mint = (role: string): Promise<DevToken> =>
    gw('POST', '/auth/dev-token', undefined, { role });

  const [a, b, student] = await Promise.all([
    mint('instructor'),
    mint('instructor'),
    mint('student'),
  ]);
  await gw('POST', '/accounts', a.token, {
    role: 'instructor',
    email: email('a'),
    displayName: `Bench referrer ${index}`,
  });
  const { code } = await until('A referral code', () =>
    unlessRefused(gw<ReferralStats>('GET', '/referrals/me', a.token), ['CODE_NOT_READY']),
  );
  const accountA = await stripeAccount('a');
  await gw('PUT', '/accounts/me/payout-account', a.token, { stripeAccountId: accountA });

  await gw('POST', '/accounts', b.token, {
    role: 'instructor',
    email: email('b'),
    displayName: `Bench referee ${index}`,
    referralCode: code,
  });
  const accountB = await stripeAccount('b');
  await gw('PUT', '/accounts/me/payout-account', b.token, { stripeAccountId: accountB });
  await gw('POST', '/accounts/me/go-live', b.token);
  await until('B pending_lesson', async () => {
    const referred = await gw<ReferredInstructors>(
      'GET',
      '/referrals/me/referred-instructors',
      a.token,
    );
    const found = referred.items.some(
      (r) => r.refereeId === b.userId && r.status === 'pending_lesson',
    );
    return found ? true : undefined;
  });

  await gw('POST', '/accounts', student.token, {
    role: 'student',
    email: email('s'),
    displayName: `Bench student ${index}`,
  });
  const paymentMethodId = await createTestPaymentMethod(config.fakeStripeUrl);
  const startsAt = new Date(Date.now() + config.lessonLeadMs);
  const booking = await gw<Booking>('POST', '/bookings', student.token, {
    instructorId: b.userId,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    priceCents: 8000,
    paymentMethodId,
  });
  await sleep(startsAt.getTime() - Date.now());
  // Clocks can disagree by a few ms; LESSON_NOT_STARTED just means "a moment more".
  await until('lesson completion', () =>
    unlessRefused(gw('POST', `/bookings/${booking.id}/complete`, b.token), ['LESSON_NOT_STARTED']),
  );
  const completed = performance.now();

  await until("A's paid payout", async () => {
    const payouts = await gw<Payouts>('GET', '/payouts/me', a.token);
    return payouts.items.some((p) => p.status === 'paid') ? true : undefined;
  });
  const paid = performance.now();
  return { completionToPaidMs: paid - completed, wholeFlowMs: paid - started };
}

async function preflight(): Promise<void> {
  const deadline = performance.now() + 5_000;
  try {
    await request(config.gatewayUrl, 'GET', '/health/ready', { deadline });
  } catch (err) {
    throw new Error(
      `gateway at ${config.gatewayUrl} is not ready (${String(err)}); start the platform with ` +
        '`npm start` or set GATEWAY_URL',
    );
  }
}

async function main(): Promise<number> {
  await preflight();
  const date = new Date();
  const timings: FlowTimings[] = [];
  const errors: string[] = [];
  let next = 0;
  const progressEvery = Math.max(1, Math.floor(config.flows / 10));
  console.error(`flow-latency: ${config.flows} flows, concurrency ${config.concurrency}`);
  const began = performance.now();
  const worker = async (): Promise<void> => {
    while (next < config.flows) {
      const index = next++;
      try {
        timings.push(await runFlow(index));
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
      const done = timings.length + errors.length;
      if (done % progressEvery === 0)
        console.error(`  ${done}/${config.flows} (${errors.length} errors)`);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  const elapsedMs = performance.now() - began;

  const root = findRepoRoot(__dirname);
  const environment = describeEnvironment(root, date);
  const completionToPaid = summarize(timings.map((t) => t.completionToPaidMs));
  const wholeFlow = summarize(timings.map((t) => t.wholeFlowMs));
  const flowsPerSecond = Math.round((timings.length / (elapsedMs / 1000)) * 100) / 100;
  const result = {
    benchmark: 'flow-latency',
    ...environment,
    config: {
      gatewayUrl: config.gatewayUrl,
      flows: config.flows,
      concurrency: config.concurrency,
      flowTimeoutMs: config.flowTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
      lessonLeadMs: config.lessonLeadMs,
    },
    completed: timings.length,
    errors: errors.length,
    // The first few distinct messages: enough to diagnose without a file of repeats.
    errorSamples: [...new Set(errors)].slice(0, 10),
    durationMs: Math.round(elapsedMs),
    flowsPerSecond,
    latencyMs: { completionToPaid, wholeFlow },
  };
  const file = writeResultFile(root, 'flow-latency', date, result);
  const ms = (s: typeof wholeFlow): string => (s ? `${s.p50} / ${s.p95} / ${s.p99}` : 'n/a');
  const commit = `${environment.gitCommit.slice(0, 10)}${environment.gitDirty ? ' (dirty)' : ''}`;
  appendTableRow(
    root,
    'flow-latency',
    [
      'date (UTC)',
      'commit',
      'node',
      'cpus',
      'flows',
      'concurrency',
      'errors',
      'flows/s',
      'completion→paid p50 / p95 / p99 ms',
      'whole flow p50 / p95 / p99 ms',
      'file',
    ],
    [
      environment.date.slice(0, 19).replace('T', ' '),
      commit,
      environment.node,
      String(environment.cpus),
      String(config.flows),
      String(config.concurrency),
      String(errors.length),
      String(flowsPerSecond),
      ms(completionToPaid),
      ms(wholeFlow),
      relative(`${root}/bench/results`, file),
    ],
  );
  console.log(JSON.stringify(result, null, 2));
  console.error(`results: ${relative(root, file)}, row added to bench/results/README.md`);
  return errors.length === 0 && timings.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`flow-latency: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
