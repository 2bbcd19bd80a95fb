import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@rewards/service-kit';
import { Brackets, DataSource } from 'typeorm';
import { PayoutsConfig } from '../config/payouts.config';
import { Payout } from './payout.entity';
import { claimLeaseMs } from './retry-policy';

/**
 * Which payout to claim: a given one, or the longest-due one among those due (`due`), or among
 * those whose attempt was interrupted or never made (`resumable`: never attempted, or not since
 * an admin's manual retry), leaving the recorded failures to their retry schedule.
 */
export type ClaimSelection = { payoutId: string } | { among: 'due' | 'resumable' };

/**
 * Reserves one payout awaiting its transfer for one attempt, under a lease: until the lease
 * ends no one else claims it, so two attempts never run at once.
 */
@Injectable()
export class PayoutClaims {
  private readonly logger = new Logger(PayoutClaims.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(PayoutsConfig) private readonly config: PayoutsConfig,
  ) {}

  /** The payout as it was when claimed (with its new lease token), or null when none is due. */
  async claim(selection: ClaimSelection): Promise<Payout | null> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (tx) => {
      const query = tx
        .createQueryBuilder(Payout, 'p')
        .where('p.status = :status', { status: 'pending_transfer' })
        .andWhere('p.nextAttemptAt <= :now', { now })
        .orderBy('p.nextAttemptAt', 'ASC')
        .limit(1)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked');
      if ('payoutId' in selection) {
        query.andWhere('p.id = :payoutId', { payoutId: selection.payoutId });
      } else if (selection.among === 'resumable') {
        query.andWhere(
          new Brackets((q) =>
            q
              .where('p.unfinishedAttempts > 0')
              .orWhere('p.attempts = 0')
              // Sent back by an admin and not attempted since (its first try lost a race).
              .orWhere(
                `p.manualRetryAt >= COALESCE((SELECT max(a.attempted_at) FROM transfer_attempts a
                   WHERE a.payout_id = p.id), '-infinity'::timestamptz)`,
              ),
          ),
        );
      }
      const payout = await query.getOne();
      if (!payout) return null;
      const interrupted = payout.unfinishedAttempts;
      const leaseMs = claimLeaseMs(interrupted, {
        leaseMs: this.config.PAYOUT_LEASE_MS,
        maxBackoffMs: this.config.PAYOUT_RESUME_MAX_BACKOFF_MS,
      });
      const leaseToken = randomUUID();
      await tx.update(
        Payout,
        { id: payout.id },
        {
          nextAttemptAt: new Date(now.getTime() + leaseMs),
          unfinishedAttempts: interrupted + 1,
          leaseToken,
          updatedAt: now,
        },
      );
      if (interrupted > 0) {
        this.logger.warn({
          message: 'resuming an interrupted transfer attempt',
          payoutId: payout.id,
          interrupted,
          leaseMs,
        });
      }
      return { ...payout, leaseToken };
    });
  }
}
