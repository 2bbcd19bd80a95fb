import { DataSource } from 'typeorm';
import { MessageBus } from './message-bus';

export interface OutboxRelayOptions {
  /** Poll interval while the outbox is empty. */
  pollIntervalMs: number;
  batchSize: number;
  /** Published rows older than this are purged. */
  retentionMs: number;
  onError: (err: unknown) => void;
}

interface OutboxRow {
  seq: string;
  topic: string;
  key: string;
  envelope: { id: string };
}

/**
 * Publishes committed outbox rows in commit order. One relay per service publishes at a time
 * (a transaction-scoped advisory lock), so per-key order survives several replicas.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running = false;
  private draining?: Promise<void>;
  private kicked = false;
  private lastPurge = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: MessageBus,
    private readonly lockName: string,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.draining;
  }

  /** Call after committing a transaction that wrote events, to publish without waiting a poll. */
  kick(): void {
    if (!this.running) return;
    if (this.draining) {
      this.kicked = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.draining = this.drain().then(() => {
        this.draining = undefined;
        if (!this.running) return;
        const again = this.kicked;
        this.kicked = false;
        this.schedule(again ? 0 : this.options.pollIntervalMs);
      });
    }, delayMs);
  }

  /** Publishes until the outbox is empty; returns how many messages were sent. */
  async drain(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const sent = await this.publishBatch();
        total += sent;
        if (sent < this.options.batchSize || !this.running) break;
      }
      await this.purgeIfDue();
    } catch (err) {
      this.options.onError(err);
    }
    return total;
  }

  private async publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const [{ locked }] = await tx.query<Array<{ locked: boolean }>>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked',
        [this.lockName],
      );
      if (!locked) return 0;
      const rows = await tx.query<OutboxRow[]>(
        `SELECT seq, topic, key, envelope FROM outbox_messages
         WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [this.options.batchSize],
      );
      if (rows.length === 0) return 0;
      await this.bus.send(
        rows.map((r) => ({
          topic: r.topic,
          key: r.key,
          value: JSON.stringify(r.envelope),
          headers: { 'message-id': r.envelope.id },
        })),
      );
      await tx.query(
        'UPDATE outbox_messages SET published_at = now() WHERE seq = ANY($1::bigint[])',
        [rows.map((r) => r.seq)],
      );
      return rows.length;
    });
  }

  private async purgeIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    await this.dataSource.query(
      `DELETE FROM outbox_messages WHERE published_at < now() - ($1::bigint * interval '1 millisecond')`,
      [this.options.retentionMs],
    );
  }
}
