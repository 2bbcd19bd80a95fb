import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe';
import { sdkOf } from './fake-stripe-sdk';
import { eventually } from './test-infra';

describe(FakeStripe.name, () => {
  const fake = new FakeStripe();
  let stripe: Stripe;

  beforeAll(async () => {
    await fake.start();
    stripe = sdkOf(fake);
  });

  afterAll(() => fake.stop());

  function transferParams(destination: string, payoutId: string): Stripe.TransferCreateParams {
    return {
      amount: 7500,
      currency: 'usd',
      destination,
      transfer_group: `payout_${payoutId}`,
      metadata: { payout_id: payoutId },
    };
  }

  it('creates and retrieves a connected account that can receive payouts', async () => {
    const created = await stripe.accounts.create({ type: 'express', country: 'US' });

    const fetched = await stripe.accounts.retrieve(created.id);

    expect(created.id).toMatch(/^acct_/);
    expect(fetched).toMatchObject({ id: created.id, payouts_enabled: true });
  });

  it('answers 404 resource_missing for an unknown account', async () => {
    await expect(stripe.accounts.retrieve('acct_unknown')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('creates a transfer with its metadata and lists it by transfer group', async () => {
    const account = fake.createAccount();

    const transfer = await stripe.transfers.create(transferParams(account.id, 'po_1'));
    const fetched = await stripe.transfers.retrieve(transfer.id);
    const listed = await stripe.transfers.list({ transfer_group: 'payout_po_1' });

    expect(transfer).toMatchObject({
      object: 'transfer',
      amount: 7500,
      currency: 'usd',
      destination: account.id,
      metadata: { payout_id: 'po_1' },
    });
    expect(fetched.id).toBe(transfer.id);
    expect(listed.data.map((t) => t.id)).toEqual([transfer.id]);
  });

  it('replays the stored transfer when the idempotency key and params repeat', async () => {
    const account = fake.createAccount();
    const options = { idempotencyKey: 'payout-po_2' };

    const first = await stripe.transfers.create(transferParams(account.id, 'po_2'), options);
    const again = await stripe.transfers
      .create(transferParams(account.id, 'po_2'), options)
      .then((t) => ({ id: t.id, replayed: t.lastResponse.headers['idempotent-replayed'] }));

    expect(again).toEqual({ id: first.id, replayed: 'true' });
    expect(fake.transfers().filter((t) => t.metadata.payout_id === 'po_2')).toHaveLength(1);
  });

  it('makes a delayed transfer at once and holds its answer back', async () => {
    const account = fake.createAccount();
    fake.delayNext(1, { endpoint: 'POST /v1/transfers', delayMs: 3000 });
    const transfersOf = (payoutId: string) =>
      fake.requests().filter((r) => r.path === '/v1/transfers' && r.idempotencyKey === payoutId);

    const pending = stripe.transfers.create(transferParams(account.id, 'po_held'), {
      idempotencyKey: 'po_held',
    });
    await eventually(() => expect(transfersOf('po_held')).toHaveLength(1));

    // Made (a retry with the key finds it), not answered: in flight.
    expect(fake.transfers().filter((t) => t.metadata.payout_id === 'po_held')).toHaveLength(1);
    expect(transfersOf('po_held')[0].answeredAt).toBeUndefined();
    const replay = await stripe.transfers.create(transferParams(account.id, 'po_held'), {
      idempotencyKey: 'po_held',
    });
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(transfersOf('po_held').map((r) => r.answeredAt === undefined)).toEqual([true, false]);
    const late = await pending;
    expect(late.id).toBe(replay.id);
    expect(transfersOf('po_held').every((r) => r.answeredAt !== undefined)).toBe(true);
  });

  it('refuses a delay for no request or of a negative length', () => {
    expect(() => fake.delayNext(0, { endpoint: 'POST /v1/transfers', delayMs: 10 })).toThrow(
      /count/,
    );
    expect(() => fake.delayNext(1, { endpoint: 'POST /v1/transfers', delayMs: -1 })).toThrow(
      /delayMs/,
    );
  });

  it('refuses an idempotency key reused with different params', async () => {
    const account = fake.createAccount();
    const options = { idempotencyKey: 'payout-po_3' };
    await stripe.transfers.create(transferParams(account.id, 'po_3'), options);

    const reused = stripe.transfers.create(
      { ...transferParams(account.id, 'po_3'), amount: 5000 },
      options,
    );

    await expect(reused).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
    });
  });

  it('creates a new transfer for a known key once the keys are forgotten', async () => {
    const account = fake.createAccount();
    const options = { idempotencyKey: 'payout-po_4' };
    const first = await stripe.transfers.create(transferParams(account.id, 'po_4'), options);

    fake.forgetIdempotencyKeys();
    const second = await stripe.transfers.create(transferParams(account.id, 'po_4'), options);

    expect(second.id).not.toBe(first.id);
  });

  it('fails the next request with an injected 429 and then recovers', async () => {
    const account = fake.createAccount();
    fake.failNext(1, {
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit',
      message: 'Too many requests.',
      endpoint: 'POST /v1/transfers',
    });
    const options = { idempotencyKey: 'payout-po_5' };

    const limited = stripe.transfers.create(transferParams(account.id, 'po_5'), options);
    await expect(limited).rejects.toMatchObject({ type: 'StripeRateLimitError', statusCode: 429 });
    const retried = await stripe.transfers.create(transferParams(account.id, 'po_5'), options);

    expect(retried.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays an injected balance_insufficient error for the same key', async () => {
    const account = fake.createAccount();
    fake.failNext(1, {
      status: 400,
      type: 'invalid_request_error',
      code: 'balance_insufficient',
      message: 'You have insufficient funds in your Stripe account.',
    });
    const options = { idempotencyKey: 'payout-po_6' };
    const expected = { code: 'balance_insufficient', statusCode: 400 };

    await expect(
      stripe.transfers.create(transferParams(account.id, 'po_6'), options),
    ).rejects.toMatchObject(expected);
    await expect(
      stripe.transfers.create(transferParams(account.id, 'po_6'), options),
    ).rejects.toMatchObject(expected);
    expect(fake.transfers().filter((t) => t.metadata.payout_id === 'po_6')).toHaveLength(0);
  });

  it('lets the SDK retry through a 500 with its automatic idempotency key', async () => {
    const account = fake.createAccount();
    const retrying = sdkOf(fake, { maxNetworkRetries: 1 });
    fake.failNext(1, { status: 500, type: 'api_error', message: 'Something went wrong.' });

    const transfer = await retrying.transfers.create(transferParams(account.id, 'po_7'));

    const [failed, succeeded] = fake.requests().slice(-2);
    expect(transfer.metadata).toEqual({ payout_id: 'po_7' });
    expect([failed.status, succeeded.status]).toEqual([500, 200]);
    expect(succeeded.idempotencyKey).toBe(failed.idempotencyKey);
  });

  it('refuses a transfer to an unknown destination', async () => {
    await expect(
      stripe.transfers.create(transferParams('acct_missing', 'po_8')),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'resource_missing',
      param: 'destination',
    });
  });

  it('refuses a transfer to an account without payouts enabled', async () => {
    const account = fake.createAccount({ payoutsEnabled: false });

    await expect(stripe.transfers.create(transferParams(account.id, 'po_9'))).rejects.toMatchObject(
      {
        statusCode: 400,
        code: 'insufficient_capabilities_for_transfer',
      },
    );
  });

  it('refuses a missing amount with parameter_missing', async () => {
    const account = fake.createAccount();
    const withoutAmount = { currency: 'usd', destination: account.id };

    await expect(
      stripe.transfers.create(withoutAmount as Stripe.TransferCreateParams),
    ).rejects.toMatchObject({ code: 'parameter_missing', param: 'amount' });
  });

  it('answers 401 without an API key', async () => {
    const response = await fetch(`${fake.url}/v1/transfers`);

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
