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
describe('tracing of the instructor referral flow', () => {
  const receiver = new OtlpReceiver();
  let tracing: RunningTracing;
  let platform: PlatformUnderTest;
  const flow = instructorReferralFlow(() => platform);

  beforeAll(async () => {
    const endpoint = await receiver.start();
    tracing = startTracing({ service: 'e2e', endpoint, autoInstrument: false });
    platform = await startPlatform();
  });

  afterAll(async () => {
    await platform?.close();
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
        return spans;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    // Wallet is there too: it applies the reward-earned event of the same decision.
    expect(new Set(trace.map(serviceOf))).toEqual(
      new Set(['gateway', 'bookings', 'referrals', 'payouts', 'wallet']),
    );
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
});
