import { Injectable } from '@nestjs/common';
import { tryTakeSchemaLock } from '@rewards/messaging';
import { Clock, JobScheduler } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { reminderDays, WalletConfig } from '../config/wallet.config';
import { ExpireDueCredit } from './expire-due-credit.usecase';
import { RemindExpiringCredit } from './remind-expiring-credit.usecase';

/** The schema lock that lets one replica run a tick at a time. */
const CREDIT_EXPIRY_LOCK = 'wallet:credit-expiry';

/** Lots handled per transaction, so one tick never holds many account locks for long. */
const LOTS_PER_CHUNK = 200;

export interface CreditExpiryRun {
  /** False when another replica held the tick: this one did nothing. */
  ran: boolean;
  expired: number;
  reminded: number;
}

/**
 * Every CREDIT_EXPIRY_INTERVAL_MS: expires due credit and sends due reminders. Each chunk is one
 * transaction holding a row lock of the wallet schema (tryTakeSchemaLock); a replica that cannot take it skips the
 * tick, and the rows each step writes make a repeated run a no-op anyway.
 */
@Injectable()
export class CreditExpiryJob {
  constructor(
    private readonly dataSource: DataSource,
    private readonly expire: ExpireDueCredit,
    private readonly remind: RemindExpiringCredit,
    private readonly config: WalletConfig,
    private readonly clock: Clock,
    scheduler: JobScheduler,
  ) {
    // The lock is taken per chunk below, in the transaction that does the work.
    scheduler.every({
      name: CREDIT_EXPIRY_LOCK,
      intervalMs: config.CREDIT_EXPIRY_INTERVAL_MS,
      run: () => this.runOnce(),
      report: (run) => (run.expired + run.reminded > 0 ? { ...run } : undefined),
    });
  }

  /** One tick, now: what the timer runs, and what tests call after moving the clock. */
  async runOnce(): Promise<CreditExpiryRun> {
    const total: CreditExpiryRun = { ran: true, expired: 0, reminded: 0 };
    let first = true;
    for (;;) {
      const chunk = await this.dataSource.transaction(async (tx) => {
        if (!(await tryTakeSchemaLock(tx, CREDIT_EXPIRY_LOCK))) return null;
        const now = this.clock.now();
        const expired = await this.expire.execute(tx, now, LOTS_PER_CHUNK);
        const reminded = await this.remind.execute(
          tx,
          now,
          reminderDays(this.config),
          LOTS_PER_CHUNK,
        );
        return { expired, reminded };
      });
      // Another replica holds the tick (or took over between two chunks): it does the rest.
      if (chunk === null) return { ...total, ran: !first };
      first = false;
      total.expired += chunk.expired;
      total.reminded += chunk.reminded;
      if (chunk.expired < LOTS_PER_CHUNK && chunk.reminded < LOTS_PER_CHUNK) return total;
    }
  }
}
