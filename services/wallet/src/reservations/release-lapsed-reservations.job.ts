import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { tryTakeSchemaLock } from '@rewards/messaging';
import { Clock } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { WalletConfig } from '../config/wallet.config';
import { CreditReservations } from './credit-reservation';
import { ReturnReservation } from './return-reservation.usecase';

/** The leader lock (a wallet.schema_locks row, out of other services' reach): one sweeper. */
const RESERVATION_SWEEP_LOCK = 'wallet:reservation-sweep';
const PER_TICK = 200;

/**
 * Every RESERVATION_SWEEP_INTERVAL_MS: releases held reservations whose booking was never
 * confirmed within RESERVATION_TTL_MS, so credit is never stuck. Each release is its own
 * transaction; one replica sweeps at a time, and a release twice is a no-op anyway.
 */
@Injectable()
export class ReleaseLapsedReservationsJob
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(ReleaseLapsedReservationsJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly reservations: CreditReservations,
    private readonly returnReservation: ReturnReservation,
    private readonly config: WalletConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.RESERVATION_SWEEP_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep, now; returns how many holds it released (what tests call after moving time). */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (outer) => {
      if (!(await tryTakeSchemaLock(outer, RESERVATION_SWEEP_LOCK))) return 0;
      const due = await this.reservations.due(outer, now, PER_TICK);
      let released = 0;
      for (const reference of due) {
        await this.dataSource.transaction(async (tx) => {
          const r = await this.returnReservation.execute(tx, reference, 'expired');
          if (r.releaseReason === 'expired') released += 1;
        });
      }
      return released;
    });
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.runOnce()
      .then((released) => {
        if (released > 0) this.logger.log({ message: 'released lapsed holds', released });
      })
      .catch((err: unknown) =>
        this.logger.error({ message: 'reservation sweep failed', err: String(err) }),
      )
      .finally(() => (this.running = undefined));
  }
}
