import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeStripeChaos } from './fake-stripe-chaos';
import { readFakeStripeState, writeFakeStripeState } from './fake-stripe-state';
import { FakeStripePayments } from './fake-stripe-payments';
import { FakeStripeResources } from './fake-stripe-resources';
import { FakeStripeEvent, stripeEvent } from './fake-stripe-webhooks';
import {
  FakeStripeAccount,
  FakeStripePaymentIntent,
  FakeStripePaymentMethod,
  FakeStripeRefund,
  FakeStripeRequest,
  FakeStripeTransfer,
  InjectedDelay,
  InjectedFailure,
} from './fake-stripe.types';
import {
  FormObject,
  Reply,
  StoredReply,
  apiKeyOf,
  error,
  formFingerprint,
  header,
  parseStripeForm,
  readBody,
  stripeId,
} from './stripe-wire';

export interface FakeStripeOptions {
  /**
   * Keeps accounts, transfers, payments and idempotency keys in this JSON file: loaded when constructed,
   * saved after every change before the answer goes out. Unset: in memory only.
   */
  stateFile?: string;
}

/**
 * Stand-in for the slice of the Stripe API the platform uses (payouts: connected accounts,
 * transfers; bookings: card payment methods, payment intents, refunds), speaking the real wire format so the `stripe` SDK can point at it.
 */
export class FakeStripe {
  private server: Server | undefined;
  private port = 0;
  private readonly resources: FakeStripeResources;
  private readonly payments: FakeStripePayments;
  private readonly idempotency = new Map<string, StoredReply>();
  private readonly failures: { remaining: number; failure: InjectedFailure }[] = [];
  private readonly delays: { remaining: number; delay: InjectedDelay }[] = [];
  private readonly log: FakeStripeRequest[] = [];
  /** Random failures for the fault harness, switched on over HTTP (`POST /_chaos`). */
  readonly chaos = new FakeStripeChaos(
    () => this.transfers(),
    () => ({ paymentIntents: this.paymentIntents(), refunds: this.refunds() }),
  );

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly options: FakeStripeOptions = {},
  ) {
    this.resources = new FakeStripeResources(now);
    this.payments = new FakeStripePayments(now);
    const saved =
      options.stateFile === undefined ? undefined : readFakeStripeState(options.stateFile);
    for (const account of saved?.accounts ?? []) {
      this.resources.accountsById.set(account.id, account);
    }
    for (const transfer of saved?.transfers ?? []) {
      this.resources.transfersById.set(transfer.id, transfer);
    }
    for (const [key, reply] of saved?.idempotency ?? []) this.idempotency.set(key, reply);
    for (const { paymentMethod, cardNumber } of saved?.paymentMethods ?? []) {
      this.payments.paymentMethodsById.set(paymentMethod.id, paymentMethod);
      this.payments.cardNumbers.set(paymentMethod.id, cardNumber);
    }
    for (const intent of saved?.paymentIntents ?? []) {
      this.payments.paymentIntentsById.set(intent.id, intent);
    }
    for (const refund of saved?.refunds ?? []) this.payments.refundsById.set(refund.id, refund);
  }

  async start(port = 0): Promise<number> {
    if (this.server) throw new Error('FakeStripe already started');
    const server = createServer(
      (req, res) => void this.chaos.intercept(req, res, () => this.handle(req, res)),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.chaos.stop();
    // The SDK keeps connections alive; close() alone would wait for them.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((err) => (err ? reject(err) : resolve())),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  createAccount(opts: { payoutsEnabled?: boolean; email?: string } = {}): FakeStripeAccount {
    const account = this.resources.addAccount(opts);
    this.save();
    return structuredClone(account);
  }

  setPayoutsEnabled(accountId: string, enabled: boolean): void {
    const account = this.resources.accountsById.get(accountId);
    if (!account) throw new Error(`unknown account ${accountId}`);
    account.payouts_enabled = enabled;
    account.capabilities.transfers = enabled ? 'active' : 'inactive';
    this.save();
  }

  /** Every transfer created, oldest first. */
  transfers(): FakeStripeTransfer[] {
    return [...this.resources.transfersById.values()].map((t) => structuredClone(t));
  }

  /**
   * A card payment method from a test card number, as Stripe.js makes one in a client (e.g.
   * 4242424242424242 pays, 4000000000000002 is declined at confirmation).
   */
  createPaymentMethod(cardNumber = '4242424242424242'): FakeStripePaymentMethod {
    const made = this.payments.addPaymentMethod({ number: cardNumber });
    if (!('object' in made)) throw new Error(`not a valid test card number: ${cardNumber}`);
    this.save();
    return structuredClone(made);
  }

  /** Every payment intent created (declined ones too), oldest first. */
  paymentIntents(): FakeStripePaymentIntent[] {
    return [...this.payments.paymentIntentsById.values()].map((p) => structuredClone(p));
  }

  /** Every refund made, oldest first. */
  refunds(): FakeStripeRefund[] {
    return [...this.payments.refundsById.values()].map((r) => structuredClone(r));
  }

  /** Every API request received, oldest first, including replays and failures. */
  requests(): FakeStripeRequest[] {
    return this.log.map((r) => ({ ...r }));
  }

  /**
   * The next `count` matching requests fail with this error. Like Stripe, a 4xx other than
   * 409/429 counts as executed and is replayed for its idempotency key; 409, 429 and 5xx are not
   * stored, so a retry with the same key gets a fresh answer.
   */
  failNext(count: number, failure: InjectedFailure): void {
    this.failures.push({ remaining: count, failure });
  }

  /**
   * The next `count` requests to `delay.endpoint` are carried out as usual (a transfer is made,
   * its idempotent result kept) and answered `delay.delayMs` late: a call in flight for that long,
   * e.g. while its client is told to shut down. `requests()` shows it without `answeredAt` until
   * the answer goes out.
   */
  delayNext(count: number, delay: InjectedDelay): void {
    if (!Number.isInteger(count) || count < 1) throw new Error('count must be a positive integer');
    if (!Number.isInteger(delay.delayMs) || delay.delayMs < 0) {
      throw new Error('delayMs must be a non-negative integer');
    }
    this.delays.push({ remaining: count, delay });
  }

  /** Reverses a transfer in full, as a platform (or Stripe) does; returns it as it is now. */
  reverseTransfer(transferId: string): FakeStripeTransfer {
    const transfer = this.resources.transfersById.get(transferId);
    if (!transfer) throw new Error(`unknown transfer ${transferId}`);
    transfer.reversed = true;
    transfer.amount_reversed = transfer.amount;
    this.save();
    return structuredClone(transfer);
  }

  /** A `transfer.*` event about the transfer as it is now, the way Stripe would send it. */
  transferEvent(
    type: string,
    transferId: string,
    opts: { created?: Date; previousAttributes?: Record<string, unknown> } = {},
  ): FakeStripeEvent {
    const transfer = this.resources.transfersById.get(transferId);
    if (!transfer) throw new Error(`unknown transfer ${transferId}`);
    return stripeEvent(type, structuredClone(transfer), {
      created: opts.created ?? this.now(),
      previousAttributes: opts.previousAttributes,
    });
  }

  /** Stripe forgets keys after 24 hours. */
  forgetIdempotencyKeys(): void {
    this.idempotency.clear();
    this.save();
  }

  private save(): void {
    if (this.options.stateFile === undefined) return;
    writeFakeStripeState(this.options.stateFile, {
      accounts: [...this.resources.accountsById.values()],
      transfers: [...this.resources.transfersById.values()],
      idempotency: [...this.idempotency.entries()],
      paymentMethods: [...this.payments.paymentMethodsById.values()].map((paymentMethod) => ({
        paymentMethod,
        cardNumber: this.payments.cardNumbers.get(paymentMethod.id) ?? '',
      })),
      paymentIntents: [...this.payments.paymentIntentsById.values()],
      refunds: [...this.payments.refundsById.values()],
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const idempotencyKey = header(req, 'idempotency-key');
    let reply: Reply;
    let replayed = false;
    try {
      const body = await readBody(req);
      const encoded = method === 'GET' ? url.search.slice(1) : body;
      const apiKey = apiKeyOf(header(req, 'authorization'));
      if (apiKey === undefined) {
        reply = error(401, {
          type: 'invalid_request_error',
          message: 'You did not provide an API key. Provide it as a Bearer token.',
        });
      } else if (method === 'POST' && idempotencyKey !== undefined) {
        const storeKey = `${apiKey}\u0000${idempotencyKey}`;
        const fingerprint = formFingerprint(method, url.pathname, encoded);
        const stored = this.idempotency.get(storeKey);
        if (stored && stored.fingerprint !== fingerprint) {
          reply = error(400, {
            type: 'idempotency_error',
            message:
              'Keys for idempotent requests can only be used with the same parameters they were ' +
              `first used with. Try using a key other than '${idempotencyKey}' if you meant to ` +
              'execute a different request.',
          });
        } else if (stored) {
          replayed = true;
          reply = { ...stored, headers: { ...stored.headers, 'Idempotent-Replayed': 'true' } };
        } else {
          reply = this.execute(method, url.pathname, parseStripeForm(encoded));
          // What was really done is what a retry with the key gets back.
          const done = reply.executedAs ?? reply;
          // A snapshot: a replay shows the object as first returned, like Stripe's.
          const snapshot = { ...done, body: structuredClone(done.body), fingerprint };
          if (!done.notExecuted) this.idempotency.set(storeKey, snapshot);
        }
      } else {
        reply = this.execute(method, url.pathname, parseStripeForm(encoded));
      }
    } catch (err) {
      reply = error(400, {
        type: 'invalid_request_error',
        message: err instanceof Error ? err.message : String(err),
      });
    }
    const logged: FakeStripeRequest = {
      receivedAt,
      method,
      path: url.pathname,
      idempotencyKey,
      status: reply.status,
      replayed,
    };
    this.log.push(logged);
    // Before answering: a client that saw a transfer must find it again after a restart.
    if (method === 'POST' && !replayed) this.save();
    const delayMs = Math.max(reply.delayMs ?? 0, this.takeDelay(`${method} ${url.pathname}`));
    if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (res.destroyed) return;
    }
    logged.answeredAt = Date.now();
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      'Request-Id': stripeId('req'),
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
      ...reply.headers,
    });
    res.end(JSON.stringify(reply.body));
  }

  /** How late the answer to this request goes out (delayNext); 0 for on time. */
  private takeDelay(endpoint: string): number {
    const armed = this.delays.find((d) => d.delay.endpoint === endpoint);
    if (!armed) return 0;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.delays.splice(this.delays.indexOf(armed), 1);
    return armed.delay.delayMs;
  }

  private execute(method: string, path: string, form: FormObject): Reply {
    const endpoint = `${method} ${path}`;
    const injected = this.failures.find(
      (f) => f.failure.endpoint === undefined || f.failure.endpoint === endpoint,
    );
    if (injected) {
      injected.remaining -= 1;
      if (injected.remaining <= 0) this.failures.splice(this.failures.indexOf(injected), 1);
      const { status, shouldRetry, type, message, code, param } = injected.failure;
      const { executed, delayMs } = injected.failure;
      const body = { type, message, code, param };
      const headers: Record<string, string> =
        shouldRetry === undefined ? {} : { 'Stripe-Should-Retry': String(shouldRetry) };
      const notExecuted = status === 409 || status === 429 || status >= 500;
      const executedAs = executed ? this.route(method, path, form) : undefined;
      return { ...error(status, body), headers, notExecuted, executedAs, delayMs };
    }
    return this.route(method, path, form);
  }

  private route(method: string, path: string, form: FormObject): Reply {
    return this.payments.route(method, path, form) ?? this.resources.route(method, path, form);
  }
}
