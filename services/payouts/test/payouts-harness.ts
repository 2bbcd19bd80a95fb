import { randomUUID } from 'node:crypto';
import { createEnvelope, EventEnvelope, PayoutRequestedV1, Topics } from '@rewards/contracts';
import { loadConfig, ManualClock } from '@rewards/service-kit';
import {
  eventually,
  FakeStripe,
  FakeStripeEvent,
  stripeSignatureHeader,
  KafkaProbe,
  migrate,
  RunningServiceApp,
  serviceTestEnv,
  startServiceApp,
  testOwnerUrl,
} from '@rewards/testing';
import { Client } from 'pg';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { PayoutsConfig } from '../src/config/payouts.config';
import { payoutsDataSource } from '../src/db/data-source';
import { ProcessDuePayoutsJob } from '../src/payouts/process-due-payouts.job';
import { mapPayoutsError } from '../src/payouts-error';
import { FakeBookings } from './fake-bookings';

const RESUME_INTERVAL_MS = 100;
export const STRIPE_TIMEOUT_MS = 1500;

/** What the webhook route answers: an outcome, or an error. */
interface WebhookAnswer {
  received?: true;
  outcome?: 'applied' | 'ignored' | 'duplicate';
  error?: { code: string; message: string };
}

/** The columns of a payouts row the tests look at. */
export interface PayoutRow {
  status: string;
  attempts: number;
  unfinished_attempts: number;
  transfer_id: string | null;
  last_error_code: string | null;
}

/**
 * The payouts app on the run's Postgres and broker, with a fake Stripe and a fake bookings
 * endpoint, a manual clock, and the reads the tests assert on.
 */
export class PayoutsHarness {
  readonly clock = new ManualClock(new Date());
  readonly stripe = new FakeStripe(() => this.clock.now());
  readonly bookings = new FakeBookings();
  readonly probe = new KafkaProbe();
  config!: PayoutsConfig;
  service!: RunningServiceApp;
  job!: ProcessDuePayoutsJob;
  private db!: Client;

  async start(): Promise<void> {
    await this.stripe.start(0);
    await this.bookings.start();
    this.config = loadConfig(
      PayoutsConfig,
      serviceTestEnv('payouts', {
        STRIPE_SECRET_KEY: 'sk_test_payouts',
        STRIPE_WEBHOOK_SECRET: 'whsec_payouts',
        STRIPE_API_URL: this.stripe.url,
        BOOKINGS_URL: this.bookings.url,
        // Short, so a test sees resumes happen; the manual clock moves leases on.
        PAYOUT_LEASE_MS: '5000',
        PAYOUT_RESUME_MAX_BACKOFF_MS: '15000',
        PAYOUT_RESUME_INTERVAL_MS: String(RESUME_INTERVAL_MS),
        // Short, so a test sees a Stripe call time out well within an attempt's budget.
        STRIPE_TIMEOUT_MS: String(STRIPE_TIMEOUT_MS),
      }),
    );
    await migrate(payoutsDataSource(this.config.DATABASE_URL));
    await this.startService();
    await this.probe.watch([Topics.PayoutPaid, Topics.PayoutFailed, 'payout-requested.dlq']);
    // The schema's owner: tests install triggers that simulate crashes, which the app's runtime
    // role may not.
    this.db = new Client({ connectionString: testOwnerUrl('payouts') });
    await this.db.connect();
  }

  /** Stops the service as a deploy or a crash would, and starts it again on the same state. */
  async restartService(): Promise<void> {
    await this.service.close();
    await this.startService();
  }

  /** Waits for a few resume polls to have run. */
  async resumePolls(count = 5): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, count * RESUME_INTERVAL_MS));
    await this.job.idle();
  }

  private async startService(): Promise<void> {
    const module = AppModule.forRoot(this.config, { clock: this.clock });
    this.service = await startServiceApp(module, mapPayoutsError);
    this.job = this.service.app.get(ProcessDuePayoutsJob);
  }

  async stop(): Promise<void> {
    await this.db?.end();
    await this.probe.close();
    await this.service?.close();
    await this.bookings.stop();
    await this.stripe.stop();
  }

  /** A beneficiary whose connected account exists in the fake Stripe. */
  instructor(opts: { payoutsEnabled?: boolean } = {}): string {
    const id = randomUUID();
    this.bookings.setAccount(id, this.stripe.createAccount(opts).id);
    return id;
  }

  payoutRequested(beneficiaryId: string): EventEnvelope<PayoutRequestedV1> {
    const payoutId = randomUUID();
    return createEnvelope({
      type: Topics.PayoutRequested,
      version: 1,
      producer: 'referrals',
      key: payoutId,
      occurredAt: this.clock.now(),
      payload: {
        payoutId,
        rewardId: randomUUID(),
        beneficiaryId,
        amount: { amountCents: 7500, currency: 'USD' },
        reason: 'instructor_referral_bonus',
        requestedAt: this.clock.now().toISOString(),
      },
    });
  }

  async publish(event: { key: string }, key = event.key): Promise<void> {
    await this.probe.produce(Topics.PayoutRequested, key, JSON.stringify(event));
  }

  /** Delivers a Stripe event the way Stripe does, signed now with the service's secret. */
  async deliverWebhook(
    event: FakeStripeEvent | string,
    opts: { secret?: string; signedAt?: Date; signature?: string | null } = {},
  ) {
    const body = typeof event === 'string' ? event : JSON.stringify(event);
    const signature =
      opts.signature === undefined
        ? stripeSignatureHeader(
            body,
            opts.secret ?? this.config.STRIPE_WEBHOOK_SECRET,
            opts.signedAt ?? this.clock.now(),
          )
        : opts.signature;
    const call = request(this.service.url)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json; charset=utf-8');
    const res = await (signature === null ? call : call.set('stripe-signature', signature)).send(
      body,
    );
    return { status: res.status, body: res.body as WebhookAnswer };
  }

  /** Publishes a payout request and waits until it is paid; returns its ids and transfer. */
  async paidPayout() {
    const event = this.payoutRequested(this.instructor());
    const { payoutId } = event.payload;
    await this.publish(event);
    await eventually(async () => expect((await this.row(payoutId))?.status).toBe('paid'));
    await this.job.idle();
    return { payoutId, transfer: this.transfersOf(payoutId)[0] };
  }

  async sql<T extends object = Record<string, unknown>>(
    text: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    return (await this.db.query<T>(text, params)).rows;
  }

  async row(payoutId: string): Promise<PayoutRow | undefined> {
    const rows = await this.sql<PayoutRow>('SELECT * FROM payouts.payouts WHERE id = $1', [
      payoutId,
    ]);
    return rows[0];
  }

  async attempts(payoutId: string): Promise<Record<string, unknown>[]> {
    return this.sql(
      `SELECT outcome, error_code, transfer_id FROM payouts.transfer_attempts
       WHERE payout_id = $1 ORDER BY attempted_at`,
      [payoutId],
    );
  }

  /** Waits until the first attempt (started by the consumer) is over; returns the row. */
  async firstAttempt(payoutId: string): Promise<PayoutRow | undefined> {
    await eventually(async () => expect((await this.row(payoutId))?.attempts).toBe(1));
    await this.job.idle();
    return this.row(payoutId);
  }

  transfersOf(payoutId: string) {
    return this.stripe.transfers().filter((t) => t.transfer_group === payoutId);
  }

  /** Transfer creations Stripe received for the payout, failed and replayed ones included. */
  transferPosts(payoutId: string) {
    return this.stripe
      .requests()
      .filter((r) => r.method === 'POST' && r.path === '/v1/transfers')
      .filter((r) => r.idempotencyKey?.startsWith(`payout-${payoutId}`))
      .map((r) => ({ key: r.idempotencyKey, status: r.status }));
  }

  published(topic: string, payoutId: string) {
    const about = (v: { payload?: { payoutId?: string } }) => v.payload?.payoutId === payoutId;
    return this.probe.find(topic, about);
  }
}
