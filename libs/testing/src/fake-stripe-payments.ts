// Card payments of the fake Stripe: payment methods made from test card numbers, payment
// intents confirmed at once (succeeded, or declined for Stripe's decline test cards) and refunds
// of them. Idempotency, auth and persistence are the server's (fake-stripe.ts).
import { createHash } from 'node:crypto';
import {
  FakeStripePaymentIntent,
  FakeStripePaymentMethod,
  FakeStripeRefund,
} from './fake-stripe.types';
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
  positiveAmount,
  stringParam,
  stripeId,
  unixSeconds,
} from './stripe-wire';

/** Stripe's test cards that a confirmation declines, with the decline code it gives. */
const DECLINING_TEST_CARDS: Readonly<Record<string, string>> = {
  '4000000000000002': 'generic_decline',
  '4000000000009995': 'insufficient_funds',
  '4000000000009987': 'lost_card',
};

const DECLINE_MESSAGES: Readonly<Record<string, string>> = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  lost_card: 'Your card was declined.',
};

export class FakeStripePayments {
  readonly paymentMethodsById = new Map<string, FakeStripePaymentMethod>();
  readonly paymentIntentsById = new Map<string, FakeStripePaymentIntent>();
  readonly refundsById = new Map<string, FakeStripeRefund>();
  /** The full card number behind each payment method: only the fake knows it. */
  readonly cardNumbers = new Map<string, string>();

  constructor(private readonly now: () => Date) {}

  /** Answers a payments request, or undefined when the path is not one of these resources. */
  route(method: string, path: string, form: FormObject): Reply | undefined {
    const [, version, resource, id, extra] = path.split('/');
    if (version !== 'v1' || extra !== undefined) return undefined;
    if (method === 'GET' && resource === 'payment_intents' && id === 'search') {
      return this.searchPaymentIntents(form);
    }
    const one = id !== undefined;
    switch (`${method} ${resource}${one ? '/:id' : ''}`) {
      case 'POST payment_methods':
        return this.postPaymentMethod(form);
      case 'GET payment_methods/:id':
        return found(this.paymentMethodsById.get(id), 'PaymentMethod', id);
      case 'POST payment_intents':
        return this.postPaymentIntent(form);
      case 'GET payment_intents/:id':
        return found(this.paymentIntentsById.get(id), 'payment_intent', id);
      case 'POST refunds':
        return this.postRefund(form);
      case 'GET refunds/:id':
        return found(this.refundsById.get(id), 'refund', id);
      case 'GET refunds':
        return this.listRefunds(form);
      default:
        return undefined;
    }
  }

  /** Makes a card payment method, as Stripe.js does in a client; returns the stored object. */
  addPaymentMethod(card: {
    number: string;
    expMonth?: number;
    expYear?: number;
  }): FakeStripePaymentMethod | Reply {
    const number = card.number.replace(/[\s-]/g, '');
    if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) {
      return error(402, {
        type: 'card_error',
        code: 'incorrect_number',
        param: 'number',
        message: 'Your card number is incorrect.',
      });
    }
    const expYear = card.expYear ?? this.now().getUTCFullYear() + 3;
    const expMonth = card.expMonth ?? 12;
    if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
      return invalidParam('card[exp_month]', "Your card's expiration month is invalid.");
    }
    if (!Number.isInteger(expYear) || expYear < this.now().getUTCFullYear()) {
      return invalidParam('card[exp_year]', "Your card's expiration year is invalid.");
    }
    const paymentMethod: FakeStripePaymentMethod = {
      id: stripeId('pm'),
      object: 'payment_method',
      type: 'card',
      card: {
        brand: brandOf(number),
        last4: number.slice(-4),
        exp_month: expMonth,
        exp_year: expYear,
        fingerprint: cardFingerprint(number),
        funding: 'credit',
        country: 'US',
      },
      metadata: {},
      livemode: false,
      created: unixSeconds(this.now()),
    };
    this.paymentMethodsById.set(paymentMethod.id, paymentMethod);
    this.cardNumbers.set(paymentMethod.id, number);
    return paymentMethod;
  }

  private postPaymentMethod(form: FormObject): Reply {
    const type = stringParam(form, 'type');
    if (type === undefined) return missingParam('type');
    if (type !== 'card') return invalidParam('type', `Invalid type: ${type}; the fake makes cards`);
    const card = typeof form.card === 'object' ? form.card : {};
    const number = stringParam(card, 'number');
    if (number === undefined) return missingParam('card[number]');
    const month = stringParam(card, 'exp_month');
    const year = stringParam(card, 'exp_year');
    const made = this.addPaymentMethod({
      number,
      expMonth: month === undefined ? undefined : Number(month),
      expYear: year === undefined ? undefined : Number(year),
    });
    return 'object' in made ? { status: 200, body: made } : made;
  }

  private postPaymentIntent(form: FormObject): Reply {
    const money = moneyParams(form);
    if ('refused' in money) return money.refused;
    const paymentMethodId = stringParam(form, 'payment_method');
    if (paymentMethodId !== undefined && !this.paymentMethodsById.has(paymentMethodId)) {
      return noSuchParam('payment_method', 'PaymentMethod', paymentMethodId);
    }
    const confirm = stringParam(form, 'confirm') === 'true';
    if (confirm && paymentMethodId === undefined) {
      return error(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message:
          "You cannot confirm this PaymentIntent because it's missing a payment method. " +
          'Update the PaymentIntent with a payment method and then confirm it again.',
      });
    }
    const intent: FakeStripePaymentIntent = {
      id: stripeId('pi'),
      object: 'payment_intent',
      amount: money.amount,
      amount_received: 0,
      currency: money.currency,
      payment_method: paymentMethodId ?? null,
      status: paymentMethodId === undefined ? 'requires_payment_method' : 'requires_confirmation',
      latest_charge: null,
      last_payment_error: null,
      description: stringParam(form, 'description') ?? null,
      metadata: money.metadata,
      livemode: false,
      created: unixSeconds(this.now()),
    };
    this.paymentIntentsById.set(intent.id, intent);
    if (!confirm || paymentMethodId === undefined) return { status: 200, body: intent };
    const declineCode = DECLINING_TEST_CARDS[this.cardNumbers.get(paymentMethodId) ?? ''];
    intent.latest_charge = stripeId('ch');
    if (declineCode !== undefined) {
      const decline = {
        type: 'card_error',
        code: 'card_declined',
        decline_code: declineCode,
        message: DECLINE_MESSAGES[declineCode],
      };
      intent.status = 'requires_payment_method';
      intent.last_payment_error = decline;
      return error(402, { ...decline, payment_intent: structuredClone(intent) });
    }
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    return { status: 200, body: intent };
  }

  private postRefund(form: FormObject): Reply {
    const intentId = stringParam(form, 'payment_intent');
    if (intentId === undefined) return missingParam('payment_intent');
    const intent = this.paymentIntentsById.get(intentId);
    if (!intent) return noSuchParam('payment_intent', 'payment_intent', intentId);
    if (intent.status !== 'succeeded' || intent.latest_charge === null) {
      return error(400, {
        type: 'invalid_request_error',
        code: 'charge_not_refundable',
        message: `This PaymentIntent (${intentId}) does not have a successful charge to refund.`,
      });
    }
    const refunded = this.refundsOf(intentId).reduce((sum, r) => sum + r.amount, 0);
    const left = intent.amount_received - refunded;
    if (left <= 0) {
      return error(400, {
        type: 'invalid_request_error',
        code: 'charge_already_refunded',
        message: `Charge ${intent.latest_charge} has already been refunded.`,
      });
    }
    const amountText = stringParam(form, 'amount');
    const amount = amountText === undefined ? left : positiveAmount(amountText);
    if (typeof amount !== 'number') return amount;
    if (amount > left) {
      return invalidParam(
        'amount',
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
      );
    }
    const metadata = metadataParam(form);
    if (metadata === 'invalid') return invalidParam('metadata', 'Invalid metadata.');
    const refund: FakeStripeRefund = {
      id: stripeId('re'),
      object: 'refund',
      amount,
      currency: intent.currency,
      payment_intent: intent.id,
      charge: intent.latest_charge,
      reason: stringParam(form, 'reason') ?? null,
      status: 'succeeded',
      metadata: metadata ?? {},
      created: unixSeconds(this.now()),
    };
    this.refundsById.set(refund.id, refund);
    return { status: 200, body: refund };
  }

  private listRefunds(form: FormObject): Reply {
    const intentId = stringParam(form, 'payment_intent');
    const refunds = [...this.refundsById.values()]
      .filter((r) => intentId === undefined || r.payment_intent === intentId)
      .reverse();
    return {
      status: 200,
      body: { object: 'list', url: '/v1/refunds', has_more: false, data: refunds },
    };
  }

  /**
   * Stripe's search (`GET /v1/payment_intents/search`) for the clauses the platform uses:
   * `metadata['key']:'value'` and `status:'value'`, joined by AND. Unlike Stripe's, it is
   * consistent at once.
   */
  private searchPaymentIntents(form: FormObject): Reply {
    const query = stringParam(form, 'query');
    if (query === undefined) return missingParam('query');
    const clauses = query.split(/\s+AND\s+/);
    const matchers: Array<(p: FakeStripePaymentIntent) => boolean> = [];
    for (const clause of clauses) {
      const metadata = /^metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'$/.exec(clause.trim());
      const status = /^status:'([a-z_]+)'$/.exec(clause.trim());
      if (metadata) {
        const [, key, quoted] = metadata;
        const value = quoted.replace(/\\(.)/g, '$1');
        matchers.push((p) => p.metadata[key] === value);
      } else if (status) {
        matchers.push((p) => p.status === status[1]);
      } else {
        return invalidParam('query', `The fake cannot search with this clause: ${clause}`);
      }
    }
    const limitText = stringParam(form, 'limit');
    const limit = limitText === undefined ? 10 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return invalidParam('limit', 'limit must be an integer between 1 and 100');
    }
    const all = [...this.paymentIntentsById.values()]
      .filter((p) => matchers.every((m) => m(p)))
      .reverse();
    return {
      status: 200,
      body: {
        object: 'search_result',
        url: '/v1/payment_intents/search',
        has_more: all.length > limit,
        next_page: null,
        data: all.slice(0, limit),
      },
    };
  }

  refundsOf(intentId: string): FakeStripeRefund[] {
    return [...this.refundsById.values()].filter((r) => r.payment_intent === intentId);
  }
}

/** Like Stripe's: one value per card number, whoever saves the card, never the number itself. */
function cardFingerprint(number: string): string {
  return createHash('sha256')
    .update(`fake-stripe-card:${number}`)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 16);
}

function brandOf(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(number) || /^2[2-7]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (number.startsWith('6011') || number.startsWith('65')) return 'discover';
  return 'unknown';
}

function luhnValid(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i += 1) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
