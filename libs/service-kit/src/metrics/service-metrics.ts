import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { EventEnvelope } from '@rewards/contracts';
import type { MessagingObserver } from '@rewards/messaging';
import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  Registry,
} from 'prom-client';

/** Seconds; from a cache hit to a slow upstream under load. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

/** Events that settle a payout or decide a reward, and the payload field that says why. */
const OUTCOMES: Partial<
  Record<string, { series: 'payout' | 'reward'; name: string; reasonField: string }>
> = {
  'payout-paid': { series: 'payout', name: 'paid', reasonField: 'none' },
  'payout-failed': { series: 'payout', name: 'failed', reasonField: 'reason' },
  'reward-earned': { series: 'reward', name: 'earned', reasonField: 'kind' },
  'reward-unlocked': { series: 'reward', name: 'unlocked', reasonField: 'kind' },
  'reward-voided': { series: 'reward', name: 'voided', reasonField: 'reason' },
};

/**
 * The service's Prometheus registry (one per app, so several apps in one test process do not
 * collide) and the series every service shares: HTTP latency, Kafka consumer lag, dead letters,
 * retention purges, and the outcomes the platform's events carry (payouts paid or failed by
 * reason, rewards earned, unlocked or voided by reason). Served on its own port by listen(),
 * never on the service's HTTP port, so the gateway cannot route to it.
 */
@Injectable()
export class ServiceMetrics implements MessagingObserver, OnApplicationShutdown {
  readonly registry = new Registry();
  private server?: Server;

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests served, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly refusals = this.counter({
    name: 'http_requests_refused_total',
    help: 'Requests answered with an error (4xx, 5xx), by route template, status and error code',
    labelNames: ['route', 'status', 'code'],
  });
  private readonly lag = this.gauge({
    name: 'kafka_consumer_lag_messages',
    help: 'Messages of a consumed partition not yet applied by this replica',
    labelNames: ['topic', 'partition'],
  });
  /** The partitions this replica reported a lag for: revoked ones are dropped from the gauge. */
  private readonly lagPartitions = new Map<string, { topic: string; partition: string }>();
  private readonly consumerRestarts = this.counter({
    name: 'kafka_consumer_restarts_total',
    help: 'Kafka consumers restarted after a crash or a failed start, by group and who restarted it',
    labelNames: ['group', 'restarted_by'],
  });
  private readonly deadLetters = this.counter({
    name: 'messaging_dead_letters_total',
    help: 'Messages parked on <topic>.dlq by this service',
    labelNames: ['topic'],
  });
  private readonly purges = this.counter({
    name: 'messaging_purged_rows_total',
    help: 'Rows deleted by retention',
    labelNames: ['table'],
  });
  private readonly publishedEvents = this.counter({
    name: 'outbox_published_total',
    help: 'Events the outbox relay sent to the broker',
    labelNames: ['topic', 'replay'],
  });
  private readonly payoutOutcomes = this.counter({
    name: 'payout_outcomes_total',
    help: 'Payouts settled (payout-paid, payout-failed events), by outcome and reason',
    labelNames: ['outcome', 'reason'],
  });
  private readonly rewardDecisions = this.counter({
    name: 'reward_decisions_total',
    help: 'Rewards earned, unlocked or voided (their events), by decision and reason',
    labelNames: ['decision', 'reason'],
  });

  constructor() {
    // The event-loop lag histogram samples on a timer: prom-client's 10 ms default woke an idle
    // process 100 times a second (0.4 % of a core here); ten samples a second still see stalls.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  /** A counter on this registry; the same name twice returns the first one. */
  counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Counter<L>;
    return new Counter({ ...config, registers: [this.registry] });
  }

  /** A gauge on this registry; the same name twice returns the first one. */
  gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Gauge<L>;
    return new Gauge({ ...config, registers: [this.registry] });
  }

  /** An error answer: `code` is the platform's stable error code ('none' when it had none). */
  refused(route: string, status: string, code: string): void {
    this.refusals.inc({ route, status, code });
  }

  consumerLag(topic: string, partition: number, lag: number): void {
    const labels = { topic, partition: String(partition) };
    this.lagPartitions.set(`${topic}/${partition}`, labels);
    this.lag.set(labels, Math.max(0, lag));
  }

  /**
   * The partitions the consumer now owns, after a rebalance (empty once it stopped): the lag of
   * the others is another replica's to report, and a stale value here would alert forever.
   */
  consumerAssigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, labels] of this.lagPartitions) {
      if (assignment[labels.topic]?.includes(Number(labels.partition))) continue;
      this.lag.remove(labels);
      this.lagPartitions.delete(key);
    }
  }

  consumerRestarted(groupId: string, restartedBy: 'kafkajs' | 'supervisor'): void {
    this.consumerRestarts.inc({ group: groupId, restarted_by: restartedBy });
  }

  deadLettered(topic: string): void {
    this.deadLetters.inc({ topic });
  }

  purged(table: 'outbox' | 'inbox', rows: number): void {
    this.purges.inc({ table }, rows);
  }

  published(envelopes: ReadonlyArray<EventEnvelope<unknown>>, replay: boolean): void {
    for (const envelope of envelopes) {
      this.publishedEvents.inc({ topic: envelope.type, replay: String(replay) });
      // A replay re-sends events already counted when they were first published.
      if (!replay) this.countOutcome(envelope);
    }
  }

  private countOutcome(envelope: EventEnvelope<unknown>): void {
    const outcome = OUTCOMES[envelope.type];
    if (!outcome) return;
    const value = (envelope.payload as Labels | undefined)?.[outcome.reasonField];
    const reason = typeof value === 'string' ? value : 'none';
    if (outcome.series === 'payout') {
      this.payoutOutcomes.inc({ outcome: outcome.name, reason });
    } else {
      this.rewardDecisions.inc({ decision: outcome.name, reason });
    }
  }

  /** Serves GET /metrics on its own port; returns the address it listens on. */
  async listen(port: number, host: string): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    return `http://${host}:${address.port}/metrics`;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
