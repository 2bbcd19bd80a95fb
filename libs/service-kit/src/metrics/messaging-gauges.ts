import { Injectable, OnModuleInit } from '@nestjs/common';
import { InboxConsumer } from '@rewards/messaging';
import { DataSource } from 'typeorm';
import { ServiceMetrics } from './service-metrics';

/**
 * Gauges read from the service's own tables at scrape time: the outbox backlog (events committed
 * but not yet on the broker) and the age of its oldest event, and the dead letters waiting for an
 * operator; and the partitions the consumer holds back while an infrastructure failure lasts.
 * A failed query leaves the last value and is reported by `up`/scrape errors instead.
 */
@Injectable()
export class MessagingGauges implements OnModuleInit {
  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly dataSource: DataSource,
    private readonly inbox: InboxConsumer,
  ) {}

  onModuleInit(): void {
    const query = <T>(sql: string) => this.dataSource.query<T[]>(sql);
    this.metrics.gauge({
      name: 'outbox_backlog_events',
      help: 'Committed events not yet published to the broker',
      collect: async function () {
        const [row] = await query<{ n: string }>(
          'SELECT count(*) AS n FROM outbox_messages WHERE published_at IS NULL',
        ).catch(() => [undefined]);
        if (row) this.set(Number(row.n));
      },
    });
    this.metrics.gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest committed event not yet published (0 when none)',
      collect: async function () {
        const [row] = await query<{ age: string | null }>(
          `SELECT extract(epoch FROM now() - min(created_at)) AS age
             FROM outbox_messages WHERE published_at IS NULL`,
        ).catch(() => [undefined]);
        if (row) this.set(Number(row.age ?? 0));
      },
    });
    const inbox = this.inbox;
    this.metrics.gauge({
      name: 'kafka_consumer_stalled_partitions',
      help: 'Partitions whose batch waits on an infrastructure failure (database, broker), by topic',
      labelNames: ['topic'],
      collect: function () {
        this.reset();
        for (const stall of inbox.stalled()) this.inc({ topic: stall.topic });
      },
    });
    this.metrics.gauge({
      name: 'messaging_dead_letters_open',
      help: 'Dead letters recorded and not replayed yet, by topic',
      labelNames: ['topic'],
      collect: async function () {
        const rows = await query<{ topic: string; n: string }>(
          `SELECT topic, count(*) AS n FROM dead_letters WHERE replayed_at IS NULL GROUP BY topic`,
        ).catch(() => undefined);
        if (!rows) return;
        this.reset();
        for (const row of rows) this.set({ topic: row.topic }, Number(row.n));
      },
    });
  }
}
