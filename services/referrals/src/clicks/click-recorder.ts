import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { JobScheduler } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { ReferralsConfig } from '../config/referrals.config';

export interface Click {
  id: string;
  code: string;
  deviceHash: string;
  ipHash: string | null;
  userAgent: string | null;
  clickedAt: Date;
}

/** Rows per INSERT: 6 parameters each, well under Postgres' 65535. */
const ROWS_PER_INSERT = 1000;

/**
 * Keeps clicks off the redirect's critical path: `record` only appends to a buffer, and a timer
 * writes the buffer in multi-row INSERTs. On shutdown the buffer is written before the database
 * connection closes. A failed write keeps its clicks for the next flush, up to CLICK_BUFFER_MAX
 * (past that the oldest are dropped, and counted in the log, rather than exhaust memory).
 */
@Injectable()
export class ClickRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ClickRecorder.name);
  private buffer: Click[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(ReferralsConfig) private readonly config: ReferralsConfig,
    scheduler: JobScheduler,
  ) {
    // Every replica flushes its own buffer; a failed write is kept (and logged) by flush itself.
    scheduler.every({
      name: 'referrals:click-flush',
      intervalMs: config.CLICK_FLUSH_INTERVAL_MS,
      run: () => this.flush(),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
    // A flush that failed at shutdown leaves its clicks; one more try before giving up.
    if (this.buffer.length > 0) await this.flush();
    if (this.buffer.length > 0) {
      this.logger.error({ message: 'clicks not written at shutdown', count: this.buffer.length });
    }
  }

  record(click: Click): void {
    this.buffer.push(click);
    const max = this.config.CLICK_BUFFER_MAX;
    if (this.buffer.length > max) {
      const dropped = this.buffer.length - max;
      this.buffer.splice(0, dropped);
      this.logger.error({ message: 'click buffer full: oldest clicks dropped', dropped });
    }
    if (this.buffer.length >= ROWS_PER_INSERT) void this.flush();
  }

  /** Writes everything buffered so far; concurrent callers share one write. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.write(batch)
      .catch((err: unknown) => {
        this.buffer = batch.concat(this.buffer);
        this.logger.warn({
          message: 'click flush failed; kept for the next one',
          err: String(err),
        });
      })
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async write(batch: Click[]): Promise<void> {
    for (let start = 0; start < batch.length; start += ROWS_PER_INSERT) {
      const rows = batch.slice(start, start + ROWS_PER_INSERT);
      const values: unknown[] = [];
      const tuples = rows.map((c, i) => {
        values.push(c.id, c.code, c.deviceHash, c.ipHash, c.userAgent, c.clickedAt);
        const p = i * 6;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`;
      });
      await this.dataSource.query(
        `INSERT INTO clicks (id, code, device_hash, ip_hash, user_agent, clicked_at)
         VALUES ${tuples.join(', ')}
         ON CONFLICT (id) DO UPDATE SET device_hash = EXCLUDED.device_hash,
           ip_hash = EXCLUDED.ip_hash, user_agent = EXCLUDED.user_agent`,
        values,
      );
    }
  }
}
