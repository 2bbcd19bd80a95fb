import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock, IntervalJob, JobScheduler, ServiceMetrics } from '@rewards/service-kit';
import { Counter } from 'prom-client';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { BookingsConfig } from '../config/bookings.config';
import { CardPayments } from './card-payments';
import { ChargeAttempts } from './charge-attempts';
import { STRIPE } from './stripe.client';

const PER_TICK = 100;
/** Stripe calls that fail in one tick before it ends: Stripe is likely down for the rest too. */
const MAX_FAILURES_PER_TICK = 3;

export type ReconcileOutcome = 'booked' | 'refunded' | 'declined' | 'abandoned' | 'failed';
export type Reconciled = Record<ReconcileOutcome, number>;

interface OpenAttempt {
  id: string;
  booking_id: string;
  payment_intent_id: string | null;
}

/**
 * Settles card charges left 'charging' past CHARGE_RECONCILE_GRACE_MS (a crash between the
 * charge and the booking's commit, a refund Stripe could not make then): asks Stripe what
 * became of each (by its PaymentIntent id when known, else by searching the attempt id in the
 * intents' metadata) and refunds a charge that succeeded without a booking. A charge Stripe
 * never made is abandoned. Each attempt is settled under its row's lock, which the booking's
 * commit also takes, so a charge is never both booked and refunded. One replica per tick.
 */
@Injectable()
export class ReconcileChargeAttemptsJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconcileChargeAttemptsJob.name);
  private readonly job: IntervalJob<Reconciled>;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly payments: CardPayments,
    private readonly attempts: ChargeAttempts,
    private readonly clock: Clock,
    @Inject(BookingsConfig) private readonly config: BookingsConfig,
    metrics: ServiceMetrics,
    scheduler: JobScheduler,
  ) {
    // A request charges (SDK retry included) and commits well within this; less would refund
    // charges whose booking is still about to commit.
    if (config.CHARGE_RECONCILE_GRACE_MS <= 2 * config.STRIPE_TIMEOUT_MS) {
      throw new Error('CHARGE_RECONCILE_GRACE_MS must be more than twice STRIPE_TIMEOUT_MS');
    }
    this.outcomes = metrics.counter({
      name: 'card_charge_reconciliations_total',
      help: 'Card charges left without a settled booking, by what the reconciliation did',
      labelNames: ['outcome'],
    });
    this.job = scheduler.every({
      name: 'bookings:reconcile-charges',
      intervalMs: config.CHARGE_RECONCILE_INTERVAL_MS,
      lockName: 'bookings:reconcile-charges',
      run: () => this.runOnce(),
      report: (r) => (Object.values(r).some((n) => n > 0) ? { ...r } : undefined),
    });
  }

  onApplicationBootstrap(): void {
    // Charges a crash left behind are settled at start, without holding up the boot.
    setImmediate(() => void this.job.tick());
  }

  /** Settles what is due now; returns how many attempts ended each way. */
  async runOnce(): Promise<Reconciled> {
    const done: Reconciled = { booked: 0, refunded: 0, declined: 0, abandoned: 0, failed: 0 };
    const tried: string[] = [];
    const cutoff = new Date(this.clock.now().getTime() - this.config.CHARGE_RECONCILE_GRACE_MS);
    for (let i = 0; i < PER_TICK && done.failed < MAX_FAILURES_PER_TICK; i++) {
      const outcome = await this.dataSource.transaction(async (tx) => {
        const [attempt] = await tx.query<OpenAttempt[]>(
          `SELECT id, booking_id, payment_intent_id FROM charge_attempts
            WHERE state = 'charging' AND created_at < $1 AND id <> ALL($2::text[])
            ORDER BY created_at LIMIT 1
            FOR UPDATE SKIP LOCKED`,
          [cutoff, tried],
        );
        if (!attempt) return undefined;
        tried.push(attempt.id);
        return this.settle(tx, attempt).catch((err: unknown) => {
          this.logger.error({
            message: 'charge reconciliation failed: retried next tick',
            attemptId: attempt.id,
            bookingId: attempt.booking_id,
            err: String(err),
          });
          return 'failed' as const;
        });
      });
      if (outcome === undefined) break;
      done[outcome] += 1;
      this.outcomes.inc({ outcome });
    }
    return done;
  }

  private async settle(tx: EntityManager, attempt: OpenAttempt): Promise<ReconcileOutcome> {
    const intents = await this.intentsOf(attempt);
    const charged = intents.filter((p) => p.status === 'succeeded');
    if (intents.some((p) => p.status === 'processing')) return 'failed';
    if (charged.length === 0) {
      const state = intents.length === 0 ? 'abandoned' : 'declined';
      await this.attempts.settle(attempt.id, state, { paymentIntentId: intents[0]?.id }, tx);
      this.logger.log({ message: `charge attempt ${state}`, attemptId: attempt.id });
      return state;
    }
    const [intent] = charged;
    // Written before this table existed, or by hand: a booking holding the charge keeps it.
    const [holder] = await tx.query<Array<{ id: string }>>(
      'SELECT id FROM bookings WHERE payment_intent_id = $1',
      [intent.id],
    );
    if (holder) {
      await this.attempts.markBooked(tx, attempt.id, intent.id);
      return 'booked';
    }
    // The refund's idempotency key is the intent's: a refund made earlier is answered again.
    const refundId = await this.payments.refund(attempt.booking_id, intent.id);
    await this.attempts.settle(
      attempt.id,
      'refunded',
      { paymentIntentId: intent.id, refundId },
      tx,
    );
    this.logger.warn({
      message: 'card charge without a booking refunded',
      attemptId: attempt.id,
      bookingId: attempt.booking_id,
      paymentIntentId: intent.id,
      refundId,
    });
    return 'refunded';
  }

  /**
   * What Stripe holds for the attempt: its intent by id when the answer was kept, else those
   * whose metadata names it (search is eventually consistent, within a minute: the grace
   * period is longer).
   */
  private async intentsOf(attempt: OpenAttempt): Promise<Stripe.PaymentIntent[]> {
    if (attempt.payment_intent_id !== null) {
      return [await this.stripe.paymentIntents.retrieve(attempt.payment_intent_id)];
    }
    const found = await this.stripe.paymentIntents.search({
      query: `metadata['charge_attempt_id']:'${attempt.id.replace(/'/g, "\\'")}'`,
      limit: 10,
    });
    return found.data;
  }
}
