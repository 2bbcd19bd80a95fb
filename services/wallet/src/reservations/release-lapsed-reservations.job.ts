import { Injectable } from '@nestjs/common';
import { Clock, JobScheduler } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { WalletConfig } from '../config/wallet.config';
import { CreditReservations } from './credit-reservation';
import { ReturnReservation } from './return-reservation.usecase';

/** The schema lock that lets one replica sweep at a time. */
const RESERVATION_SWEEP_LOCK = 'wallet:reservation-sweep';
const PER_TICK = 200;

/**
 * Every RESERVATION_SWEEP_INTERVAL_MS: releases held reservations whose booking was never
 * confirmed within RESERVATION_TTL_MS, so credit is never stuck. Each release is its own
 * transaction; one replica sweeps at a time, and a release twice is a no-op anyway.
 */
@Injectable()
export class ReleaseLapsedReservationsJob {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reservations: CreditReservations,
    private readonly returnReservation: ReturnReservation,
    private readonly clock: Clock,
    config: WalletConfig,
    scheduler: JobScheduler,
  ) {
    scheduler.every({
      name: RESERVATION_SWEEP_LOCK,
      intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
      lockName: RESERVATION_SWEEP_LOCK,
      run: () => this.runOnce(),
      report: (released) => (released > 0 ? { released } : undefined),
    });
  }

  /** One sweep, now; returns how many holds it released (what tests call after moving time). */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const due = await this.reservations.due(this.dataSource.manager, now, PER_TICK);
    let released = 0;
    for (const reference of due) {
      await this.dataSource.transaction(async (tx) => {
        const r = await this.returnReservation.execute(tx, reference, 'expired');
        if (r.releaseReason === 'expired') released += 1;
      });
    }
    return released;
  }
}
