// Checkout latency: quote (POST /checkout/apply-referral) + confirm (POST /bookings with the
// quote: wallet reserve, booking commit, wallet capture) through the gateway, at a fixed request
// rate, on a fresh embedded platform. A plain GET through the gateway at the same rate, in the
// same run, is the baseline. Target (issue 7): quote + confirm p99 at most 50 ms at 200 requests/s
// on 2 cores. See bench/README.md.
import { Topics } from '@rewards/contracts';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { rewardUnlockedEvent } from '../libs/testing/src/reward-events';
import { startBenchPlatform } from './bench-platform';
import { poll, request, sleep } from './bench-http';
import { CpuMeter, ProcessTree, syscalls } from './proc-stats';
import { readStatementStats, resetStatementStats } from './statement-stats';
import { analyzeDatabase, applyPostgresSettings, WaitSampler } from './wait-sampler';
import {
  appendTableRow,
  describeEnvironment,
  findRepoRoot,
  LatencySummary,
  summarize,
  writeResultFile,
} from './bench-report';

/** The integer variable `name` (at least `min`), or `fallback` when unset. */
function intAtLeast(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer of at least ${min}`);
  }
  return value;
}

const config = {
  /** HTTP requests per second: each checkout is two (quote, then confirm). */
  requestsPerSecond: intAtLeast('BENCH_REQUESTS_PER_SECOND', 200),
  durationSeconds: intAtLeast('BENCH_DURATION_SECONDS', 30),
  warmupSeconds: intAtLeast('BENCH_WARMUP_SECONDS', 10),
  /**
   * Checkouts at the full rate between the ANALYZE and the measured phase. Measured right after
   * it (until 2026-12-02 12:30), the phase's first 2-3 s had a median of 100-300 ms and set its
   * p99: most likely the replanning of every connection's cached plans, which the ANALYZE
   * invalidates (bench/README.md, 2026-12-02 11:17).
   */
  settleSeconds: intAtLeast('BENCH_SETTLE_SECONDS', 5, 0),
  students: intAtLeast('BENCH_STUDENTS', 200),
  targetP99Ms: 50,
  /** Services to CPU-profile over the checkout phase (comma-separated), into the log dir. */
  profile: (process.env.BENCH_PROFILE ?? '').split(',').filter((s) => s !== ''),
  /** Loads pg_stat_statements and reports the checkout phase's costliest statements. */
  statementStats: process.env.BENCH_STATEMENT_STATS === 'true',
  /** Samples pg_stat_activity every 10 ms over the checkout phase (diagnostic; costs CPU). */
  waitSamples: process.env.BENCH_WAIT_SAMPLES === 'true',
  /**
   * Diagnostic only: Postgres settings applied (ALTER SYSTEM, reload) before the warm-up, e.g.
   * `synchronous_commit=off`, to see what a setting changes. Recorded with the result.
   */
  postgresSettings: (process.env.BENCH_POSTGRES_SETTINGS ?? '').split(',').filter((s) => s !== ''),
  /**
   * ANALYZE the database after the warm-up (default), as autovacuum does within a minute of such
   * writes on any running platform; `false` measures with the statistics of the empty tables
   * the platform starts with, under which Postgres plans sequential scans of tables that then
   * grow through the phase.
   */
  analyze: process.env.BENCH_ANALYZE !== 'false',
};

interface DevToken {
  token: string;
  userId: string;
}

interface Run {
  latenciesMs: number[];
  /** Each completed operation: its index, when it started (ms into the run) and its latency. */
  timeline: Array<{ i: number; startMs: number; ms: number }>;
  errors: string[];
  /** Requests that started later than scheduled: the client could not keep the rate. */
  lateStarts: number;
  achievedPerSecond: number;
}

/**
 * Starts `operationsPerSecond` operations a second for `seconds`, on schedule whatever the
 * answers take (open loop, so a slow answer cannot hide later ones), and records each latency.
 */
async function openLoop(
  operationsPerSecond: number,
  seconds: number,
  operation: (i: number) => Promise<void>,
): Promise<Run> {
  const total = Math.round(operationsPerSecond * seconds);
  const intervalMs = 1000 / operationsPerSecond;
  const latenciesMs: number[] = [];
  const timeline: Run['timeline'] = [];
  const errors: string[] = [];
  let lateStarts = 0;
  const inFlight: Promise<void>[] = [];
  const began = performance.now();
  for (let i = 0; i < total; i++) {
    const due = began + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -intervalMs) lateStarts += 1;
    const started = performance.now();
    inFlight.push(
      operation(i).then(
        () => {
          const ms = performance.now() - started;
          latenciesMs.push(ms);
          timeline.push({ i, startMs: started - began, ms });
        },
        (err: unknown) => void errors.push(err instanceof Error ? err.message : String(err)),
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - began) / 1000;
  return {
    latenciesMs,
    timeline,
    errors,
    lateStarts,
    achievedPerSecond: Math.round((total / elapsedS) * 10) / 10,
  };
}

/**
 * Per second of the phase (by start time): how many checkouts started, their median and slowest
 * quote + confirm, and the slowest quote and confirm apart: where a slow second's time went.
 */
function perSecond(
  timeline: Run['timeline'],
  parts: Map<number, { quoteMs: number; confirmMs: number }>,
): Array<Record<string, number>> {
  const seconds = new Map<number, Run['timeline']>();
  for (const entry of timeline) {
    const second = Math.floor(entry.startMs / 1000);
    seconds.set(second, [...(seconds.get(second) ?? []), entry]);
  }
  const round = (n: number) => Math.round(n * 10) / 10;
  return [...seconds]
    .sort(([a], [b]) => a - b)
    .map(([second, entries]) => {
      const ms = entries.map((e) => e.ms).sort((a, b) => a - b);
      const split = entries.map((e) => parts.get(e.i)).filter((p) => p !== undefined);
      return {
        second,
        checkouts: entries.length,
        p50: round(ms[Math.floor(ms.length / 2)]),
        max: round(ms[ms.length - 1]),
        over50: ms.filter((v) => v > 50).length,
        maxQuote: round(Math.max(...split.map((p) => p.quoteMs))),
        maxConfirm: round(Math.max(...split.map((p) => p.confirmMs))),
      };
    });
}

async function main(): Promise<number> {
  const root = findRepoRoot(__dirname);
  const date = new Date();
  const say = (line: string) => console.error(`checkout-latency: ${line}`);
  const logDir = join(root, '.local', 'bench-logs', 'checkout-latency');
  const profiled = (service: string): Record<string, string> =>
    config.profile.includes(service)
      ? {
          NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile-preload.js')}`,
          BENCH_CPU_PROFILE_DIR: logDir,
        }
      : {};
  const platform = await startBenchPlatform({
    root,
    partitions: 3,
    logDir,
    statementStats: config.statementStats,
    serviceEnv: {
      // A few students send every request: counted, never refused (the limiter is not measured).
      gateway: { RATE_LIMIT_USER_PER_MINUTE: '1000000000', ...profiled('gateway') },
      bookings: profiled('bookings'),
      wallet: profiled('wallet'),
      referrals: profiled('referrals'),
    },
    say,
  });
  try {
    const gatewayUrl = platform.urls.gateway;
    const deadline = () => performance.now() + 30_000;
    const gw = <T>(method: string, path: string, token?: string, json?: unknown): Promise<T> =>
      request<T>(gatewayUrl, method, path, { token, json, deadline: deadline() });
    const mint = (role: string) => gw<DevToken>('POST', '/auth/dev-token', undefined, { role });

    say('setting up an instructor and students with credit');
    const instructor = await mint('instructor');
    await gw('POST', '/accounts', instructor.token, {
      role: 'instructor',
      email: `bench-${instructor.userId}@example.com`,
      displayName: 'Bench instructor',
    });
    const stripeAccount = await request<{ id: string }>(
      platform.fakeStripeUrl,
      'POST',
      '/v1/accounts',
      { token: 'sk_test_bench', form: { type: 'express' }, deadline: deadline() },
    );
    await gw('PUT', '/accounts/me/payout-account', instructor.token, {
      stripeAccountId: stripeAccount.id,
    });
    await gw('POST', '/accounts/me/go-live', instructor.token);
    const students = await Promise.all(
      Array.from({ length: config.students }, async () => {
        const s = await mint('student');
        await gw('POST', '/accounts', s.token, {
          role: 'student',
          email: `bench-${s.userId}@example.com`,
          displayName: 'Bench student',
        });
        return s;
      }),
    );
    const kafka = new Kafka({
      clientId: 'bench-checkout',
      brokers: platform.brokers.split(','),
      logLevel: logLevel.ERROR,
    });
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    // Enough credit for every checkout the run can make: each spends $5.
    const creditCents = 500 * config.requestsPerSecond * (config.durationSeconds + 10);
    const now = new Date();
    await producer.send({
      topic: Topics.RewardUnlocked,
      messages: students.map((s) => {
        const event = rewardUnlockedEvent({
          beneficiaryId: s.userId,
          amountCents: creditCents,
          unlockedAt: now,
          producer: 'bench',
        });
        return { key: event.key, value: JSON.stringify(event) };
      }),
    });
    await producer.disconnect();
    for (const s of students) {
      await poll(
        'student credit',
        async () => {
          const w = await gw<{ balances: Array<{ availableCents: number }> }>(
            'GET',
            '/wallet/me',
            s.token,
          );
          return (w.balances[0]?.availableCents ?? 0) >= creditCents ? true : undefined;
        },
        deadline(),
        100,
      );
    }

    let lessonSeq = 0;
    /** Each checkout's quote and confirm apart, by its index in the phase. */
    const parts = new Map<number, { quoteMs: number; confirmMs: number }>();
    const checkout = async (i: number): Promise<void> => {
      const student = students[i % students.length];
      const startsAt = new Date(Date.now() + 86_400_000 + lessonSeq++ * 60_000);
      const draft = {
        instructorId: instructor.userId,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
        priceCents: 500,
      };
      const began = performance.now();
      const quote = await gw<{ id: string; signature: string; benefit: { kind: string } }>(
        'POST',
        '/checkout/apply-referral',
        student.token,
        draft,
      );
      if (quote.benefit.kind !== 'wallet_credit') {
        throw new Error(`quote applied ${quote.benefit.kind}, not wallet credit`);
      }
      const quoted = performance.now();
      await gw('POST', '/bookings', student.token, {
        ...draft,
        quoteId: quote.id,
        quoteSignature: quote.signature,
      });
      parts.set(i, { quoteMs: quoted - began, confirmMs: performance.now() - quoted });
    };
    const plainGet = async (i: number): Promise<void> => {
      await gw('GET', '/accounts/me', students[i % students.length].token);
    };

    say(
      `baseline: GET /accounts/me at ${config.requestsPerSecond}/s for ${config.durationSeconds} s`,
    );
    const baseline = await openLoop(config.requestsPerSecond, config.durationSeconds, plainGet);
    // Right before the measured phase: 30 s of baseline let the checkout path's pooled
    // connections (and the statements prepared on them) idle out, and the first second of
    // checkouts then paid for new ones.
    if (config.postgresSettings.length > 0) {
      await applyPostgresSettings(platform.adminUrl, config.postgresSettings);
      say(`postgres settings applied: ${config.postgresSettings.join(', ')}`);
    }
    say(`warm-up: ${config.warmupSeconds} s of checkouts`);
    await openLoop(config.requestsPerSecond / 2, config.warmupSeconds, checkout);
    if (config.analyze) {
      await analyzeDatabase(platform.adminUrl);
      say('analyzed the database after the warm-up');
    }
    if (config.settleSeconds > 0) {
      say(`settling: ${config.settleSeconds} s of checkouts`);
      await openLoop(config.requestsPerSecond / 2, config.settleSeconds, checkout);
    }
    say(
      `checkout: quote + confirm at ${config.requestsPerSecond} requests/s ` +
        `(${config.requestsPerSecond / 2} checkouts/s) for ${config.durationSeconds} s`,
    );
    const trees: Record<string, ProcessTree> = {
      bench: { pid: process.pid, descendants: false },
      postgres: { pid: platform.postgresPid, descendants: true },
      kafkaMock: { pid: platform.kafkaPid, descendants: true },
    };
    for (const [name, proc] of platform.services)
      trees[name] = { pid: proc.pid, descendants: true };
    const signalProfiled = () => {
      for (const name of config.profile) {
        const proc = [...platform.services].find(([service]) => service === name)?.[1];
        if (proc) process.kill(proc.pid, 'SIGWINCH');
      }
    };
    const callsBefore = new Map([...platform.services].map(([n, p]) => [n, syscalls(p.pid)]));
    if (config.statementStats) await resetStatementStats(platform.adminUrl);
    const sampler = config.waitSamples ? new WaitSampler(platform.adminUrl) : null;
    await sampler?.start();
    parts.clear();
    const meter = new CpuMeter(trees);
    signalProfiled();
    const phaseStarted = performance.now();
    const checkouts = await openLoop(
      config.requestsPerSecond / 2,
      config.durationSeconds,
      checkout,
    );
    const phaseSeconds = (performance.now() - phaseStarted) / 1000;
    const cpu = meter.sample();
    const waits = (await sampler?.stop()) ?? null;
    const statements = config.statementStats ? await readStatementStats(platform.adminUrl) : null;
    // Each service's socket writes and reads per completed checkout (its own and its share of
    // what runs beside: relay, consumers, polls).
    const syscallsPerCheckout = Object.fromEntries(
      [...platform.services].map(([name, proc]) => {
        const [before, after] = [callsBefore.get(name), syscalls(proc.pid)];
        const per = (n: number) => Math.round((n * 10) / checkouts.latenciesMs.length) / 10;
        return [
          name,
          before && after && checkouts.latenciesMs.length > 0
            ? { writes: per(after.writes - before.writes), reads: per(after.reads - before.reads) }
            : null,
        ];
      }),
    );
    signalProfiled();
    // What one completed checkout cost each process tree, in CPU milliseconds: steadier than
    // latency on a machine shared with other work.
    const cpuMsPerCheckout = Object.fromEntries(
      Object.entries(cpu.byTree).map(([name, percent]) => [
        name,
        checkouts.latenciesMs.length > 0
          ? Math.round(((percent / 100) * phaseSeconds * 10_000) / checkouts.latenciesMs.length) /
            10
          : null,
      ]),
    );

    const environment = describeEnvironment(root, date);
    const checkoutSummary = summarize(checkouts.latenciesMs);
    const baselineSummary = summarize(baseline.latenciesMs);
    const met =
      checkoutSummary !== null &&
      checkouts.errors.length === 0 &&
      checkoutSummary.p99 <= config.targetP99Ms;
    const result = {
      benchmark: 'checkout-latency',
      ...environment,
      config: { ...config, cpus: cpus().length },
      target: `quote + confirm p99 <= ${config.targetP99Ms} ms at ${config.requestsPerSecond} requests/s`,
      met,
      checkout: {
        completed: checkouts.latenciesMs.length,
        errors: checkouts.errors.length,
        errorSamples: [...new Set(checkouts.errors)].slice(0, 10),
        lateStarts: checkouts.lateStarts,
        achievedCheckoutsPerSecond: checkouts.achievedPerSecond,
        quotePlusConfirmMs: checkoutSummary,
        cpu: { ...cpu, phaseSeconds: Math.round(phaseSeconds * 10) / 10, cpuMsPerCheckout },
        syscallsPerCheckout,
        statements,
        perSecond: perSecond(checkouts.timeline, parts),
        waits,
      },
      baseline: {
        route: 'GET /accounts/me',
        completed: baseline.latenciesMs.length,
        errors: baseline.errors.length,
        lateStarts: baseline.lateStarts,
        achievedPerSecond: baseline.achievedPerSecond,
        latencyMs: baselineSummary,
      },
    };
    const file = writeResultFile(root, 'checkout-latency', date, result);
    const ms = (s: LatencySummary | null): string => (s ? `${s.p50} / ${s.p95} / ${s.p99}` : 'n/a');
    appendTableRow(
      root,
      'checkout-latency',
      [
        'date (UTC)',
        'commit',
        'cpus',
        'requests/s',
        'seconds',
        'checkouts',
        'errors',
        'quote+confirm p50 / p95 / p99 ms',
        'baseline GET p50 / p95 / p99 ms',
        'target met',
        'file',
      ],
      [
        environment.date.slice(0, 19).replace('T', ' '),
        `${environment.gitCommit.slice(0, 10)}${environment.gitDirty ? ' (dirty)' : ''}`,
        String(environment.cpus),
        String(config.requestsPerSecond),
        String(config.durationSeconds),
        String(checkouts.latenciesMs.length),
        String(checkouts.errors.length),
        ms(checkoutSummary),
        ms(baselineSummary),
        met ? 'yes' : 'no',
        relative(join(root, 'bench', 'results'), file),
      ],
    );
    console.log(JSON.stringify(result, null, 2));
    say(`results: ${relative(root, file)}, row added to bench/results/README.md`);
    return met ? 0 : 1;
  } finally {
    await platform.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`checkout-latency: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
