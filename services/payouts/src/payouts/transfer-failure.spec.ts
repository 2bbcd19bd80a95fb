import Stripe from 'stripe';
import { stripeFailure } from './transfer-failure';

const { errors } = Stripe;

describe(stripeFailure.name, () => {
  it.each([
    [
      'a rate limit error',
      new errors.StripeRateLimitError({
        type: 'rate_limit_error',
        statusCode: 429,
        message: 'slow',
      }),
      'STRIPE_RATE_LIMITED',
    ],
    [
      'a 429 lock timeout',
      new errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        statusCode: 429,
        code: 'lock_timeout',
      }),
      'STRIPE_RATE_LIMITED',
    ],
    [
      'a 409 for a key whose request is still under way',
      new errors.StripeIdempotencyError({
        type: 'idempotency_error',
        statusCode: 409,
        code: 'idempotency_key_in_use',
      }),
      'STRIPE_IDEMPOTENCY_CONFLICT',
    ],
    [
      'an insufficient platform balance',
      new errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        statusCode: 400,
        code: 'balance_insufficient',
      }),
      'STRIPE_BALANCE_INSUFFICIENT',
    ],
    [
      'a destination without the transfers capability',
      new errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        statusCode: 400,
        code: 'insufficient_capabilities_for_transfer',
        param: 'destination',
      }),
      'PAYOUTS_NOT_ENABLED',
    ],
    [
      'an account the platform may not use',
      new errors.StripePermissionError({ type: 'invalid_request_error', statusCode: 403 }),
      'PAYOUTS_NOT_ENABLED',
    ],
    [
      'an unknown destination',
      new errors.StripeInvalidRequestError({
        type: 'invalid_request_error',
        statusCode: 400,
        code: 'resource_missing',
        param: 'destination',
      }),
      'PAYOUT_ACCOUNT_MISSING',
    ],
    [
      'a network failure',
      new errors.StripeConnectionError({ type: 'api_error', message: 'socket hang up' }),
      'STRIPE_UNAVAILABLE',
    ],
    [
      'a Stripe server error',
      new errors.StripeAPIError({ type: 'api_error', statusCode: 500 }),
      'STRIPE_UNAVAILABLE',
    ],
    [
      'a 503 of any type',
      new errors.StripeError({ type: 'invalid_request_error', statusCode: 503 }),
      'STRIPE_UNAVAILABLE',
    ],
    [
      'a reused idempotency key',
      new errors.StripeIdempotencyError({ type: 'idempotency_error', statusCode: 400 }),
      'STRIPE_ERROR',
    ],
    [
      'a bad API key',
      new errors.StripeAuthenticationError({ type: 'authentication_error', statusCode: 401 }),
      'STRIPE_ERROR',
    ],
    ['something that is not a Stripe error', new TypeError('boom'), 'UNEXPECTED_ERROR'],
  ])('maps %s to a stable code', (_what, err, code) => {
    expect(stripeFailure(err).code).toBe(code);
  });

  it("keeps Stripe's message, shortened to fit the attempt log", () => {
    const message = 'x'.repeat(2000);

    const failure = stripeFailure(new errors.StripeAPIError({ type: 'api_error', message }));

    expect(failure.message).toBe('x'.repeat(500));
  });
});
