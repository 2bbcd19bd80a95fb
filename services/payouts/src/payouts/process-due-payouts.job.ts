import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { PayoutsConfig } from '../config/payouts.config';
import { TransferPayoutUseCase } from './transfer-payout.usecase';

/** Upper bound of one run, so a run always ends; whatever is left is due at the next one. */
const MAX_PAYOUTS_PER_RUN = 1000;

/**
 * Runs transfer attempts: right after a payout is requested, and every PAYOUT_SWEEP_INTERVAL_MS
 * (and once at startup) for every payout that is due. The sweep is both the retry schedule and
 * the safety net for payouts left pending by a crash once their lease has run out.
 */
@Injectable()
export class ProcessDuePayoutsJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ProcessDuePayoutsJob.name);
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private stopping = false;

  constructor(
    private readonly transfer: TransferPayoutUseCase,
    @Inject(PayoutsConfig) private readonly config: PayoutsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweep(), this.config.PAYOUT_SWEEP_INTERVAL_MS);
    this.sweep();
  }

  /** Stops the schedule and waits for attempts under way, while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.idle();
  }

  /** Attempts one payout soon, outside the caller's transaction (call it after a commit). */
  processSoon(payoutId: string): void {
    if (this.stopping) return;
    this.track(
      this.transfer.execute(payoutId).catch((err: unknown) => {
        // The sweep picks it up later; nothing is lost.
        this.logger.error({ message: 'payout attempt failed to run', payoutId, err: String(err) });
      }),
    );
  }

  /** Attempts every payout due now, one after another; returns how many were attempted. */
  async runDueOnce(): Promise<number> {
    const run = this.processDue();
    this.track(run);
    return run;
  }

  /** Resolves once no attempt is under way. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private sweep(): void {
    // A slow run is not doubled up by the next tick.
    if (this.sweeping || this.stopping) return;
    this.sweeping = true;
    this.runDueOnce()
      .catch((err: unknown) =>
        this.logger.error({ message: 'payout sweep failed', err: String(err) }),
      )
      .finally(() => (this.sweeping = false));
  }

  private async processDue(): Promise<number> {
    let attempted = 0;
    while (!this.stopping && attempted < MAX_PAYOUTS_PER_RUN) {
      const outcome = await this.transfer.execute();
      if (outcome.kind === 'none') break;
      attempted += 1;
    }
    return attempted;
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
