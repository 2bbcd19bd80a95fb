import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@rewards/testing';
import { RunningTracing, startTracing } from '@rewards/service-kit';
import { instructorReferralFlow } from './support/instructor-referral-flow';
import { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';

/**
 * One client request and the events it causes form one trace across services: the lesson
 * completion that pays the referrer goes gateway -> bookings (HTTP), bookings -> referrals
 * (lesson-completed through the outbox and Kafka), referrals -> payouts (payout-requested), and
 * every span reaches an OTLP endpoint started for the test. (All services share this process
 * here, so each span names its service in `rewards.service`; in a pod it is also service.name.)
 */
describe('traces and logs of the instructor referral flow', () => {
  const receiver = new OtlpReceiver();
  let tracing: RunningTracing;
  let platform: PlatformUnderTest;
  const flow = instructorReferralFlow(() => platform);
  /** Every line the services write while the suite runs (at debug level). */
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  /** The tests that ran to their end: when one did not, the services' complaints are shown. */
  const finished = new Set<string>();

  beforeAll(async () => {
    const endpoint = await receiver.start();
    tracing = startTracing({ service: 'e2e', endpoint, autoInstrument: false });
    process.env.TEST_LOG_LEVEL = 'debug';
    process.stdout.write = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    platform = await startPlatform();
  });

  afterAll(async () => {
    await platform?.close();
    process.stdout.write = write;
    keepLines(lines, finished.size < 2);
    delete process.env.TEST_LOG_LEVEL;
    await tracing?.shutdown();
    await receiver.stop();
  });

  const serviceOf = (span: ReceivedSpan) => span.attributes['rewards.service'];

  it('exports one trace from the lesson completion to the payout', async () => {
    const { a } = await flow.referAndTeach();
    await flow.paidPayoutOf(a);

    const trace = await eventually(
      async () => {
        await tracing.flush();
        const completion = receiver.spans.find(
          (s) =>
            serviceOf(s) === 'gateway' &&
            s.kind === 2 &&
            /^\/bookings\/[^/]+\/complete$/.test(String(s.attributes['url.path'])),
        );
        expect(completion).toBeDefined();
        const spans = receiver.spans.filter((s) => s.traceId === completion?.traceId);
        expect(spans.map((s) => s.name)).toEqual(
          expect.arrayContaining(['payout-requested process']),
        );
        // The wallet applies the decision's reward-earned beside payouts, not before it: its
        // span may arrive after the payout's.
        expect(spans.map(serviceOf)).toContain('wallet');
        return spans;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    // Wallet is there too: it applies the reward-earned event of the same decision.
    expect(new Set(trace.map(serviceOf))).toEqual(
      new Set(['gateway', 'bookings', 'referrals', 'payouts', 'wallet']),
    );
    finished.add('trace');
    const named = (service: string, name: string) =>
      trace.filter((s) => serviceOf(s) === service && s.name === name);
    expect(named('bookings', 'POST /bookings/:id/complete')).toHaveLength(1);
    expect(named('bookings', 'lesson-completed publish')).toHaveLength(1);
    expect(named('referrals', 'lesson-completed process')).toHaveLength(1);
    expect(named('referrals', 'payout-requested publish')).toHaveLength(1);
    expect(named('payouts', 'payout-requested process')).toHaveLength(1);
    // A chain, not a bag of spans sharing an id: every span but the root has its parent here.
    const ids = new Set(trace.map((s) => s.spanId));
    const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots.map((s) => `${serviceOf(s)} ${s.name}`)).toEqual([
      expect.stringMatching(/^gateway (POST|POST \/.*)$/),
    ]);
  });

  it('logs JSON lines with trace and request ids, and no secret or personal data', async () => {
    const { a } = await flow.referAndTeach();
    await flow.paidPayoutOf(a);
    await tracing.flush();

    const logged = lines.flatMap((chunk) => chunk.split('\n')).filter((l) => l.trim() !== '');
    expect(logged.length).toBeGreaterThan(20);
    const records = logged.map((line) => JSON.parse(line) as Record<string, any>);
    const served = records.filter((r) => r.message?.message === 'request served');
    // The completion is served twice, by the gateway and by bookings (both name the route
    // template): two server spans of one trace, one request id. (In this process every app logs
    // through Nest's last-registered logger, so `service` is not the way to tell them apart.)
    const completions = served.filter((r) => r.message.route === '/bookings/:id/complete');
    const last = completions.at(-1)?.requestId;
    const completion = completions.filter((r) => r.requestId === last);
    expect(completion).toHaveLength(2);
    for (const record of completion) {
      expect(record).toMatchObject({
        traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
        spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
        requestId: expect.stringMatching(/^[\w.-]{8,}$/),
        level: 'debug',
        timestamp: expect.any(Number),
      });
    }
    expect(completion[0].traceId).toBe(completion[1].traceId);
    expect(completion[0].requestId).toBe(completion[1].requestId);
    expect(completion[0].spanId).not.toBe(completion[1].spanId);
    const traced = receiver.spans.filter((s) => s.traceId === completion[0].traceId);
    expect(traced.map((s) => s.spanId)).toEqual(
      expect.arrayContaining(completion.map((r) => r.spanId)),
    );

    const text = logged.join('\n');
    const forbidden = [
      /@example\.test/, // the users' emails
      /Bearer /i,
      /eyJ[\w-]+\.[\w-]+\./, // JWTs
      /e2e-secret-that-is-long-enough-for-hs256/,
      /sk_test_e2e|whsec_e2e/,
      /test-\w+-(runtime|owner)-secret/, // database passwords
    ];
    for (const pattern of forbidden)
      expect({ pattern, found: pattern.test(text) }).toEqual({ pattern, found: false });
    finished.add('logs');
  });
});

/**
 * Keeps what the services logged in .local/test-logs/observability.log; when a test failed, its
 * warnings and errors also go to stderr (the log is swallowed while the suite runs).
 */
function keepLines(lines: string[], failed: boolean): void {
  const dir = join(__dirname, '..', '.local', 'test-logs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'observability.log'), lines.join(''));
  if (!failed) return;
  const complaints = lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => /"level":"(warn|error)"/.test(line));
  process.stderr.write(`services' warnings and errors:\n${complaints.join('\n')}\n`);
}
