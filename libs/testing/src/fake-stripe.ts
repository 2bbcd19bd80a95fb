import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeStripeChaos } from './fake-stripe-chaos';
import {
  FakeStripeAccount,
  FakeStripeRequest,
  FakeStripeTransfer,
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
  invalidParam,
  metadataParam,
  missingParam,
  noSuch,
  parseStripeForm,
  readBody,
  stringParam,
  stripeId,
} from './stripe-wire';

/**
 * In-memory stand-in for the slice of the Stripe API the payouts service uses (connected
 * accounts, transfers), speaking the real wire format so the `stripe` SDK can point at it.
 */
export class FakeStripe {
  private server: Server | undefined;
  private port = 0;
  private readonly accountsById = new Map<string, FakeStripeAccount>();
  private readonly transfersById = new Map<string, FakeStripeTransfer>();
  private readonly idempotency = new Map<string, StoredReply>();
  private readonly failures: { remaining: number; failure: InjectedFailure }[] = [];
  private readonly log: FakeStripeRequest[] = [];
  /** Random failures for the fault harness, switched on over HTTP (`POST /_chaos`). */
  readonly chaos = new FakeStripeChaos(() => this.transfers());

  constructor(private readonly now: () => Date = () => new Date()) {}

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
    const enabled = opts.payoutsEnabled ?? true;
    const account: FakeStripeAccount = {
      id: stripeId('acct'),
      object: 'account',
      type: 'express',
      country: 'US',
      default_currency: 'usd',
      email: opts.email ?? null,
      charges_enabled: enabled,
      payouts_enabled: enabled,
      details_submitted: enabled,
      capabilities: { transfers: enabled ? 'active' : 'inactive' },
      metadata: {},
      created: this.unixNow(),
    };
    this.accountsById.set(account.id, account);
    return structuredClone(account);
  }

  setPayoutsEnabled(accountId: string, enabled: boolean): void {
    const account = this.accountsById.get(accountId);
    if (!account) throw new Error(`unknown account ${accountId}`);
    account.payouts_enabled = enabled;
    account.capabilities.transfers = enabled ? 'active' : 'inactive';
  }

  /** Every transfer created, oldest first. */
  transfers(): FakeStripeTransfer[] {
    return [...this.transfersById.values()].map((t) => structuredClone(t));
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

  /** Stripe forgets keys after 24 hours. */
  forgetIdempotencyKeys(): void {
    this.idempotency.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
          // A snapshot: a replay shows the object as first returned, like Stripe's.
          const snapshot = { ...reply, body: structuredClone(reply.body), fingerprint };
          if (!reply.notExecuted) this.idempotency.set(storeKey, snapshot);
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
    this.log.push({ method, path: url.pathname, idempotencyKey, status: reply.status, replayed });
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      'Request-Id': stripeId('req'),
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
      ...reply.headers,
    });
    res.end(JSON.stringify(reply.body));
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
      const body = { type, message, code, param };
      const headers: Record<string, string> =
        shouldRetry === undefined ? {} : { 'Stripe-Should-Retry': String(shouldRetry) };
      const notExecuted = status === 409 || status === 429 || status >= 500;
      return { ...error(status, body), headers, notExecuted };
    }
    const [, version, resource, id, extra] = path.split('/');
    if (version === 'v1' && extra === undefined) {
      if (resource === 'accounts' && method === 'POST' && id === undefined) {
        return this.postAccount(form);
      }
      if (resource === 'accounts' && method === 'GET' && id !== undefined) {
        const account = this.accountsById.get(id);
        return account ? { status: 200, body: account } : noSuch('account', id);
      }
      if (resource === 'transfers' && method === 'POST' && id === undefined) {
        return this.postTransfer(form);
      }
      if (resource === 'transfers' && method === 'GET' && id !== undefined) {
        const transfer = this.transfersById.get(id);
        return transfer ? { status: 200, body: transfer } : noSuch('transfer', id);
      }
      if (resource === 'transfers' && method === 'GET' && id === undefined) {
        return this.listTransfers(form);
      }
    }
    return error(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}).`,
    });
  }

  private postAccount(form: FormObject): Reply {
    const metadata = metadataParam(form);
    if (metadata === 'invalid') return invalidParam('metadata', 'Invalid metadata.');
    const account = this.createAccount({ email: stringParam(form, 'email') });
    const stored = this.accountsById.get(account.id) as FakeStripeAccount;
    stored.country = stringParam(form, 'country') ?? stored.country;
    stored.metadata = metadata ?? {};
    return { status: 200, body: stored };
  }

  private postTransfer(form: FormObject): Reply {
    const amountText = stringParam(form, 'amount');
    const currency = stringParam(form, 'currency');
    const destination = stringParam(form, 'destination');
    if (amountText === undefined) return missingParam('amount');
    if (currency === undefined) return missingParam('currency');
    if (destination === undefined) return missingParam('destination');
    const amount = Number(amountText);
    if (!/^\d+$/.test(amountText) || amount < 1) {
      return invalidParam('amount', 'Invalid positive integer');
    }
    if (!/^[a-zA-Z]{3}$/.test(currency)) {
      return invalidParam('currency', `Invalid currency: ${currency}.`);
    }
    const metadata = metadataParam(form);
    if (metadata === 'invalid') return invalidParam('metadata', 'Invalid metadata.');
    const account = this.accountsById.get(destination);
    if (!account) {
      return error(400, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'destination',
        message: `No such destination: '${destination}'`,
      });
    }
    if (!account.payouts_enabled) {
      return error(400, {
        type: 'invalid_request_error',
        code: 'insufficient_capabilities_for_transfer',
        param: 'destination',
        message:
          'Your destination account needs to have at least one of the following capabilities ' +
          'enabled: transfers, crypto_transfers, legacy_payments',
      });
    }
    const transfer: FakeStripeTransfer = {
      id: stripeId('tr'),
      object: 'transfer',
      amount,
      amount_reversed: 0,
      currency: currency.toLowerCase(),
      destination,
      transfer_group: stringParam(form, 'transfer_group') ?? null,
      description: stringParam(form, 'description') ?? null,
      metadata: metadata ?? {},
      reversed: false,
      livemode: false,
      created: this.unixNow(),
    };
    this.transfersById.set(transfer.id, transfer);
    return { status: 200, body: transfer };
  }

  private listTransfers(form: FormObject): Reply {
    const group = stringParam(form, 'transfer_group');
    const destination = stringParam(form, 'destination');
    const limit = Math.min(Math.max(Number(stringParam(form, 'limit') ?? 10) || 10, 1), 100);
    const matching = [...this.transfersById.values()]
      .filter((t) => group === undefined || t.transfer_group === group)
      .filter((t) => destination === undefined || t.destination === destination)
      .reverse();
    const body = {
      object: 'list',
      url: '/v1/transfers',
      has_more: matching.length > limit,
      data: matching.slice(0, limit),
    };
    return { status: 200, body };
  }

  private unixNow(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
