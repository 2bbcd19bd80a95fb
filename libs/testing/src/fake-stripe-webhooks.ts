// Stripe webhook deliveries for tests: events shaped like Stripe's, and the Stripe-Signature
// header computed by hand (HMAC-SHA256 of `${t}.${body}`), so the SDK's verification is what
// the tests exercise, not a helper of the same SDK.
import { createHmac } from 'node:crypto';
import { stripeId } from './stripe-wire';

export interface FakeStripeEvent {
  id: string;
  object: 'event';
  type: string;
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: object; previous_attributes?: Record<string, unknown> };
}

export function stripeEvent(
  type: string,
  object: object,
  opts: { created?: Date; id?: string; previousAttributes?: Record<string, unknown> } = {},
): FakeStripeEvent {
  return {
    id: opts.id ?? stripeId('evt'),
    object: 'event',
    type,
    api_version: '2025-03-31.basil',
    created: Math.floor((opts.created ?? new Date()).getTime() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: {
      object,
      ...(opts.previousAttributes ? { previous_attributes: opts.previousAttributes } : {}),
    },
  };
}

/** The Stripe-Signature header Stripe sends with `payload`, signed at `signedAt`. */
export function stripeSignatureHeader(payload: string, secret: string, signedAt: Date): string {
  const t = Math.floor(signedAt.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}
