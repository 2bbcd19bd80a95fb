import type { Server } from 'node:http';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IntervalJob, JobScheduler } from '@rewards/service-kit';
import { PayoutsConfig } from '../config/payouts.config';
import { TransferPayoutUseCase } from './transfer-payout.usecase';

/** Upper bound of one run, so a run always ends; whatever is left is due at the next one. */
const MAX_PAYOUTS_PER_RUN = 1000;

/**
 * Runs transfer attempts, at most PAYOUT_MAX_CONCURRENT_ATTEMPTS at once per kind of run (the
 * Stripe rate limiter holds the calls they make to the shared rate): right after a payout is
 * requested (a burst of requests queues here); every PAYOUT_RESUME_INTERVAL_MS
 * for attempts that were interrupted (their lease ran out) or never made (the database was
 * away when the request came); and every PAYOUT_SWEEP_INTERVAL_MS, and once at start, for every
 * payout that is due, which is what runs the retries of recorded failures.
 */
@Injectable()
export class ProcessDuePayoutsJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ProcessDuePayoutsJob.name);
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly sweep: IntervalJob<number>;
  /** Requested payouts waiting for a free slot; lost on a crash, then found by the resume poll. */
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private stopping = false;

  constructor(
    private readonly transfer: TransferPayoutUseCase,
    @Inject(PayoutsConfig) private readonly config: PayoutsConfig,
    private readonly adapterHost: HttpAdapterHost,
    scheduler: JobScheduler,
  ) {
    // Claims skip locked payouts, so every replica runs both and they share the work.
    this.sweep = scheduler.every({
      name: 'payouts:sweep',
      intervalMs: config.PAYOUT_SWEEP_INTERVAL_MS,
      run: () => (this.stopping ? Promise.resolve(0) : this.runDueOnce()),
    });
    scheduler.every({
      name: 'payouts:resume',
      intervalMs: config.PAYOUT_RESUME_INTERVAL_MS,
      run: () => (this.stopping ? Promise.resolve(0) : this.resumeOnce()),
    });
  }

  onApplicationBootstrap(): void {
    // After a restart, whatever came due while the service was down: once it serves requests
    // and messaging has started, and without holding up the boot.
    this.whenListening(() => void this.sweep.tick());
  }

  /** Stops new attempts and waits for those under way, while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  /** Attempts one payout soon, outside the caller's transaction (call it after a commit). */
  processSoon(payoutId: string): void {
    if (this.stopping || this.queued.has(payoutId)) return;
    this.queued.add(payoutId);
    this.queue.push(payoutId);
    this.drainQueue();
  }

  /** Attempts every payout due now; returns how many were attempted. */
  async runDueOnce(): Promise<number> {
    return this.tracked(this.processAll('due'));
  }

  /** Attempts every interrupted or never-attempted payout that is due now. */
  async resumeOnce(): Promise<number> {
    return this.tracked(this.processAll('resumable'));
  }

  private drainQueue(): void {
    while (
      !this.stopping &&
      this.active < this.config.PAYOUT_MAX_CONCURRENT_ATTEMPTS &&
      this.queue.length > 0
    ) {
      const payoutId = this.queue.shift() as string;
      this.queued.delete(payoutId);
      this.active += 1;
      this.track(
        this.transfer
          .execute({ payoutId })
          .catch((err: unknown) => {
            // The resume poll picks it up within seconds; nothing is lost.
            this.logger.error({
              message: 'payout attempt failed to run',
              payoutId,
              err: String(err),
            });
          })
          // Before this one counts as settled, so idle() sees the next one already started.
          .finally(() => {
            this.active -= 1;
            this.drainQueue();
          }),
      );
    }
  }

  /** Resolves once no attempt is under way. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async processAll(among: 'due' | 'resumable'): Promise<number> {
    let attempted = 0;
    // Claims skip locked rows, so workers never take the same payout.
    const worker = async (): Promise<void> => {
      while (!this.stopping && attempted < MAX_PAYOUTS_PER_RUN) {
        const outcome = await this.transfer.execute({ among });
        if (outcome.kind === 'none') return;
        attempted += 1;
      }
    };
    await Promise.all(
      Array.from({ length: this.config.PAYOUT_MAX_CONCURRENT_ATTEMPTS }, () => worker()),
    );
    return attempted;
  }

  /** Calls `run` once the HTTP server listens; at once when there is none, or it already does. */
  private whenListening(run: () => void): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server || server.listening) {
      setImmediate(run);
      return;
    }
    server.once('listening', run);
  }

  private tracked<T>(work: Promise<T>): Promise<T> {
    this.track(work);
    return work;
  }

  private track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }
}
