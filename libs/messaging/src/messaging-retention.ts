import { DataSource } from 'typeorm';

export interface MessagingRetentionOptions {
  /** Published outbox rows are kept this long after they were written: the replay window. */
  outboxRetentionMs: number;
  /** Inbox rows are kept this long after they were applied; at least the outbox's window. */
  inboxRetentionMs: number;
  intervalMs: number;
  onError: (err: unknown) => void;
  /** Told how many rows each purge deleted. */
  onPurged?: (purged: { outbox: number; inbox: number }) => void;
}

const DELETE_CHUNK = 5000;

/**
 * Purges what the replay window no longer needs. The outbox is measured from when a row was
 * written (never from a replay), and the inbox keeps ids at least as long, so a replayed event
 * always meets its inbox row.
 */
export class MessagingRetention {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: MessagingRetentionOptions,
  ) {
    if (options.inboxRetentionMs < options.outboxRetentionMs) {
      throw new Error('inbox retention must be at least the outbox retention');
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      this.purge()
        .then((purged) => this.options.onPurged?.(purged))
        .catch((err: unknown) => this.options.onError(err));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async purge(): Promise<{ outbox: number; inbox: number }> {
    const outbox = await this.deleteInChunks(
      `DELETE FROM outbox_messages WHERE seq IN (
         SELECT seq FROM outbox_messages WHERE published_at IS NOT NULL
           AND created_at < now() - ($1::bigint * interval '1 millisecond') LIMIT ${DELETE_CHUNK})`,
      this.options.outboxRetentionMs,
    );
    const inbox = await this.deleteInChunks(
      `DELETE FROM inbox_messages WHERE ctid IN (
         SELECT ctid FROM inbox_messages
         WHERE processed_at < now() - ($1::bigint * interval '1 millisecond') LIMIT ${DELETE_CHUNK})`,
      this.options.inboxRetentionMs,
    );
    return { outbox, inbox };
  }

  private async deleteInChunks(sql: string, retentionMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const [, count] = await this.dataSource.query<[unknown, number]>(sql, [retentionMs]);
      total += count;
      if (count < DELETE_CHUNK) return total;
    }
  }
}
