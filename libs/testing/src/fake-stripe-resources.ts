// The accounts and transfers of the fake Stripe and what its endpoints do with them: the
// resources part of the fake, apart from the server around it (auth, idempotency, injected
// failures, persistence).
import { FakeStripeAccount, FakeStripeTransfer } from './fake-stripe.types';
import {
  FormObject,
  Reply,
  error,
  found,
  invalidParam,
  metadataParam,
  missingParam,
  moneyParams,
  noSuchParam,
  stringParam,
  stripeId,
  unixSeconds,
} from './stripe-wire';

export class FakeStripeResources {
  readonly accountsById = new Map<string, FakeStripeAccount>();
  readonly transfersById = new Map<string, FakeStripeTransfer>();

  constructor(private readonly now: () => Date) {}

  /** Adds an account and returns the stored object (callers clone what they hand out). */
  addAccount(opts: { payoutsEnabled?: boolean; email?: string }): FakeStripeAccount {
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
      created: unixSeconds(this.now()),
    };
    this.accountsById.set(account.id, account);
    return account;
  }

  /** Answers one API request that passed authentication and failure injection. */
  route(method: string, path: string, form: FormObject): Reply {
    const [, version, resource, id, extra] = path.split('/');
    if (version === 'v1' && extra === undefined) {
      if (resource === 'accounts' && method === 'POST' && id === undefined) {
        return this.postAccount(form);
      }
      if (resource === 'accounts' && method === 'GET' && id !== undefined) {
        return found(this.accountsById.get(id), 'account', id);
      }
      if (resource === 'transfers' && method === 'POST' && id === undefined) {
        return this.postTransfer(form);
      }
      if (resource === 'transfers' && method === 'GET' && id !== undefined) {
        return found(this.transfersById.get(id), 'transfer', id);
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
    const stored = this.addAccount({ email: stringParam(form, 'email') });
    stored.country = stringParam(form, 'country') ?? stored.country;
    stored.metadata = metadata ?? {};
    return { status: 200, body: stored };
  }

  private postTransfer(form: FormObject): Reply {
    const money = moneyParams(form);
    if ('refused' in money) return money.refused;
    const destination = stringParam(form, 'destination');
    if (destination === undefined) return missingParam('destination');
    const account = this.accountsById.get(destination);
    if (!account) return noSuchParam('destination', 'destination', destination);
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
      amount: money.amount,
      amount_reversed: 0,
      currency: money.currency,
      destination,
      transfer_group: stringParam(form, 'transfer_group') ?? null,
      description: stringParam(form, 'description') ?? null,
      metadata: money.metadata,
      reversed: false,
      livemode: false,
      created: unixSeconds(this.now()),
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
}
