import { HttpAdapterHost } from '@nestjs/core';
import { JobScheduler } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { PayoutsConfig } from '../config/payouts.config';
import { ProcessDuePayoutsJob } from './process-due-payouts.job';
import { ClaimSelection } from './payout-claims';
import { TransferOutcome, TransferPayoutUseCase } from './transfer-payout.usecase';

/** A transfer use case whose attempts end when the test says so; it counts how many overlap. */
class HeldTransfers {
  running = 0;
  mostAtOnce = 0;
  readonly started: string[] = [];
  private readonly release: Array<() => void> = [];

  execute(selection: ClaimSelection): Promise<TransferOutcome> {
    const payoutId = 'payoutId' in selection ? selection.payoutId : 'sweep';
    this.started.push(payoutId);
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    return new Promise((resolve) =>
      this.release.push(() => {
        this.running -= 1;
        resolve({ kind: 'paid', payoutId });
      }),
    );
  }

  finishAll(): void {
    this.release.splice(0).forEach((finish) => finish());
  }
}

describe(ProcessDuePayoutsJob.name, () => {
  const jobWith = (transfers: HeldTransfers, max: number) =>
    new ProcessDuePayoutsJob(
      transfers as unknown as TransferPayoutUseCase,
      {
        PAYOUT_MAX_CONCURRENT_ATTEMPTS: max,
        PAYOUT_SWEEP_INTERVAL_MS: 60_000,
        PAYOUT_RESUME_INTERVAL_MS: 10_000,
      } as PayoutsConfig,
      {} as HttpAdapterHost,
      // Never booted: no tick runs unless a test calls one.
      new JobScheduler({} as DataSource),
    );

  it('runs at most PAYOUT_MAX_CONCURRENT_ATTEMPTS requested payouts at once, and all of them', async () => {
    const transfers = new HeldTransfers();
    const job = jobWith(transfers, 3);

    for (let i = 0; i < 10; i++) job.processSoon(`p${i}`);
    expect(transfers.running).toBe(3);
    while (transfers.started.length < 10 || transfers.running > 0) {
      transfers.finishAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await job.idle();

    expect(transfers.mostAtOnce).toBe(3);
    expect(transfers.started).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`));
  });

  it('queues a payout requested twice while it waits only once', async () => {
    const transfers = new HeldTransfers();
    const job = jobWith(transfers, 1);

    job.processSoon('a');
    job.processSoon('b');
    job.processSoon('b');
    while (transfers.started.length < 2 || transfers.running > 0) {
      transfers.finishAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await job.idle();

    expect(transfers.started).toEqual(['a', 'b']);
  });
});
