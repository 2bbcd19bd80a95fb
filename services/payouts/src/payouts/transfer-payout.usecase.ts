import { Inject, Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { PayoutsConfig } from '../config/payouts.config';
import { STRIPE } from '../stripe/stripe.client';
import { StripeRateLimiter } from '../stripe/stripe-rate-limiter';
import { AttemptBudget, AttemptOutOfTime } from './attempt-budget';
import { Payout } from './payout.entity';
import { ClaimSelection, PayoutClaims } from './payout-claims';
import { BOOKINGS_TIMEOUT_MS, PayoutDestinationClient } from './payout-destination.client';
import { RecordTransferOutcome } from './record-transfer-outcome';
import { rateLimitBackoffMs, transferIdempotencyKey } from './retry-policy';
import {
  stripeFailure,
  TransferFailure,
  transferFailure,
  TransferFailureCode,
} from './transfer-failure';

type Attempt =
  | { ok: true; transfer: Stripe.Transfer }
  | { ok: false; failure: TransferFailure; transferMayExist: boolean };

/** A failure known to have happened before any transfer was made. */
const refused = (failure: TransferFailure): Attempt => ({
  ok: false,
  failure,
  transferMayExist: false,
});

/** Failures of a create that leave open whether Stripe made the transfer. */
const UNCERTAIN: ReadonlySet<TransferFailureCode> = new Set([
  'STRIPE_UNAVAILABLE',
  'STRIPE_IDEMPOTENCY_CONFLICT',
]);

/** Retries of one call answered 429 within an attempt, after a jittered backoff each. */
const RATE_LIMIT_RETRIES = 2;

/**
 * What an execution did. `superseded`: something else settled the payout meanwhile;
 * `unrecorded`: the outcome could not be saved (the lease keeps others off until it runs out,
 * then the attempt is resumed).
 */
export type TransferOutcome =
  | { kind: 'none' }
  | { kind: 'paid' | 'retrying' | 'failed' | 'superseded' | 'unrecorded'; payoutId: string };

/**
 * Pays one payout by Stripe Transfer, exactly once: the row is claimed under a lease, Stripe is
 * called outside any transaction and within the lease, and the outcome is recorded (with its
 * event) in one transaction. An attempt cut short before recording is resumed after its lease:
 * it looks for the transfer by transfer_group first and reuses the same idempotency key.
 */
@Injectable()
export class TransferPayoutUseCase {
  private readonly logger = new Logger(TransferPayoutUseCase.name);

  constructor(
    private readonly claims: PayoutClaims,
    private readonly record: RecordTransferOutcome,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly destinations: PayoutDestinationClient,
    private readonly limiter: StripeRateLimiter,
    @Inject(PayoutsConfig) private readonly config: PayoutsConfig,
  ) {}

  /** Claims the selected payout if it is due, and tries to pay it. */
  async execute(selection: ClaimSelection = { among: 'due' }): Promise<TransferOutcome> {
    const payout = await this.claims.claim(selection);
    if (!payout) return { kind: 'none' };
    return this.run(payout);
  }

  /**
   * One attempt at a payout as claimed (with its lease token). Its outcome is recorded only
   * while the lease is still its own: once another claim took the payout over, it is
   * `superseded` and changes nothing, whatever it learnt from Stripe.
   */
  async run(payout: Payout): Promise<Exclude<TransferOutcome, { kind: 'none' }>> {
    const attempt = await this.attempt(payout, new AttemptBudget(this.config.PAYOUT_LEASE_MS));
    try {
      const kind = attempt.ok
        ? await this.record.paid(payout, attempt.transfer)
        : await this.record.failure(payout, attempt.failure, attempt.transferMayExist);
      return { kind, payoutId: payout.id };
    } catch (err) {
      // Like a crash here: the lease runs out and the next attempt finds the transfer, if any.
      this.logger.error({
        message: 'transfer outcome not recorded',
        payoutId: payout.id,
        err: String(err),
      });
      return { kind: 'unrecorded', payoutId: payout.id };
    }
  }

  private async attempt(payout: Payout, budget: AttemptBudget): Promise<Attempt> {
    let checkedForEarlierTransfer = false;
    let creating = false;
    try {
      // First, so a transfer made before a crash is found even if bookings or the account changed.
      const existing = await this.earlierTransfer(payout.id, budget);
      if (existing) return { ok: true, transfer: existing };
      checkedForEarlierTransfer = true;

      const destination = await this.destinations.find(
        payout.beneficiaryId,
        budget.timeoutFor(BOOKINGS_TIMEOUT_MS),
      );
      if (!destination.ok) return refused(destination.failure);
      const account = await this.callStripe(budget, (timeout) =>
        this.stripe.accounts.retrieve(destination.stripeAccountId, {}, { timeout }),
      );
      if (!account.payouts_enabled) {
        const message = `connected account ${account.id} cannot receive payouts yet`;
        return refused(transferFailure('PAYOUTS_NOT_ENABLED', message));
      }

      const transfer = await this.callStripe(budget, (timeout) => {
        creating = true;
        return this.stripe.transfers.create(
          {
            amount: payout.amountCents,
            currency: payout.currency.toLowerCase(),
            destination: account.id,
            transfer_group: payout.id,
            metadata: { payout_id: payout.id, reward_id: payout.rewardId },
          },
          {
            idempotencyKey: transferIdempotencyKey(payout.id, payout.transferKeyGeneration),
            timeout,
          },
        );
      });
      return { ok: true, transfer };
    } catch (err) {
      const failure =
        err instanceof AttemptOutOfTime
          ? transferFailure('STRIPE_UNAVAILABLE', err.message)
          : stripeFailure(err);
      // A create that timed out, hit a 5xx or a 409 may have happened on Stripe's side: look.
      const uncertain = creating && UNCERTAIN.has(failure.code);
      if (uncertain) {
        const found = await this.earlierTransfer(payout.id, budget).catch(() => undefined);
        if (found) return { ok: true, transfer: found };
      }
      return { ok: false, failure, transferMayExist: !checkedForEarlierTransfer || uncertain };
    }
  }

  /**
   * One Stripe call: within the service-wide rate, within the attempt's budget, and again after
   * a jittered backoff when Stripe answers 429 (a 429 is never executed, so it is safe to repeat).
   */
  private async callStripe<T>(
    budget: AttemptBudget,
    call: (timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      if (!(await this.limiter.acquire(budget.lastCallStart))) throw new AttemptOutOfTime();
      try {
        return await call(this.stripeTimeout(budget));
      } catch (err) {
        const limited =
          !(err instanceof AttemptOutOfTime) && stripeFailure(err).code === 'STRIPE_RATE_LIMITED';
        const backoff = rateLimitBackoffMs(retry);
        if (!limited || retry >= RATE_LIMIT_RETRIES || !budget.canWait(backoff)) throw err;
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  /** The timeout of the next Stripe call; throws when the attempt is out of time before it. */
  private stripeTimeout(budget: AttemptBudget): number {
    const timeout = budget.timeoutFor(this.config.STRIPE_TIMEOUT_MS);
    if (!budget.allows(timeout)) throw new AttemptOutOfTime();
    return timeout;
  }

  /**
   * The transfer of an earlier attempt, if one exists. Idempotency keys alone are not enough:
   * Stripe forgets them after 24 hours, retries go on for days, and each retry has its own key.
   */
  private async earlierTransfer(
    payoutId: string,
    budget: AttemptBudget,
  ): Promise<Stripe.Transfer | undefined> {
    const page = await this.callStripe(budget, (timeout) =>
      this.stripe.transfers.list({ transfer_group: payoutId, limit: 10 }, { timeout }),
    );
    if (page.data.length > 1) {
      this.logger.error({
        message: 'several transfers for one payout',
        payoutId,
        count: page.data.length,
      });
    }
    // Newest first: the oldest is the one that counts.
    return page.data.at(-1);
  }
}
