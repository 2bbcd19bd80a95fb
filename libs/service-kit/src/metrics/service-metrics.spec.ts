import { createEnvelope, Topic } from '@rewards/contracts';
import { ServiceMetrics } from './service-metrics';

const event = (type: Topic, payload: object) =>
  createEnvelope({
    type,
    version: 1,
    producer: 'test',
    key: 'k',
    payload,
    occurredAt: new Date('2026-01-01T00:00:00Z'),
  });

describe(ServiceMetrics.name, () => {
  let metrics: ServiceMetrics;

  beforeEach(() => {
    metrics = new ServiceMetrics();
  });

  afterEach(() => metrics.onApplicationShutdown());

  it('counts payout outcomes and reward decisions by reason from published events', async () => {
    metrics.published(
      [
        event('payout-failed', { reason: 'PAYOUTS_NOT_ENABLED' }),
        event('payout-paid', {}),
        event('reward-voided', { reason: 'REFUNDED' }),
        event('lesson-completed', {}),
      ],
      false,
    );
    // A replay re-sends what was already counted.
    metrics.published([event('payout-paid', {})], true);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /^payout_outcomes_total\{outcome="failed",reason="PAYOUTS_NOT_ENABLED"\} 1$/m,
    );
    expect(text).toMatch(/^payout_outcomes_total\{outcome="paid",reason="none"\} 1$/m);
    expect(text).toMatch(/^reward_decisions_total\{decision="voided",reason="REFUNDED"\} 1$/m);
    expect(text).toMatch(/^outbox_published_total\{topic="payout-paid",replay="true"\} 1$/m);
    expect(text).toMatch(/^outbox_published_total\{topic="lesson-completed",replay="false"\} 1$/m);
  });

  it('keeps the last lag of each partition, never below zero', async () => {
    metrics.consumerLag('payout-requested', 2, 40);
    metrics.consumerLag('payout-requested', 2, 0);
    metrics.consumerLag('payout-requested', 1, -3);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /^kafka_consumer_lag_messages\{topic="payout-requested",partition="2"\} 0$/m,
    );
    expect(text).toMatch(
      /^kafka_consumer_lag_messages\{topic="payout-requested",partition="1"\} 0$/m,
    );
  });

  it('drops the lag of partitions the consumer no longer owns', async () => {
    metrics.consumerLag('reward-earned', 0, 5);
    metrics.consumerLag('reward-earned', 1, 7);
    metrics.consumerAssigned({ 'reward-earned': [1] });

    let text = await metrics.registry.metrics();
    expect(text).not.toMatch(
      /^kafka_consumer_lag_messages\{topic="reward-earned",partition="0"\}/m,
    );
    expect(text).toMatch(/^kafka_consumer_lag_messages\{topic="reward-earned",partition="1"\} 7$/m);

    metrics.consumerAssigned({});
    text = await metrics.registry.metrics();
    expect(text).not.toMatch(/^kafka_consumer_lag_messages\{/m);
  });

  it('serves refusals, consumer restarts and dead letters on /metrics, moving as they happen', async () => {
    const url = await metrics.listen(0, '127.0.0.1');
    const scrape = async () => (await fetch(url)).text();
    const value = (text: string, series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const refused =
      'http_requests_refused_total{route="/wallet/me",status="401",code="UNAUTHENTICATED"}';
    const restarts = 'kafka_consumer_restarts_total{group="wallet",restarted_by="supervisor"}';
    const dead = 'messaging_dead_letters_total{topic="reward-earned"}';
    const before = await scrape();

    metrics.refused('/wallet/me', '401', 'UNAUTHENTICATED');
    metrics.refused('/wallet/me', '401', 'UNAUTHENTICATED');
    metrics.consumerRestarted('wallet', 'supervisor');
    metrics.deadLettered('reward-earned');

    const after = await scrape();
    expect(value(after, refused) - value(before, refused)).toBe(2);
    expect(value(after, restarts) - value(before, restarts)).toBe(1);
    expect(value(after, dead) - value(before, dead)).toBe(1);
  });

  it('serves /metrics on its own port and nothing else there', async () => {
    metrics.deadLettered('reward-earned');
    const url = await metrics.listen(0, '127.0.0.1');

    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^messaging_dead_letters_total\{topic="reward-earned"\} 1$/m);
    expect((await fetch(url.replace('/metrics', '/health/live'))).status).toBe(404);
  });

  it('returns the same counter for the same name', () => {
    const config = { name: 'things_total', help: 'things', labelNames: ['kind'] };
    expect(metrics.counter(config)).toBe(metrics.counter(config));
  });
});
