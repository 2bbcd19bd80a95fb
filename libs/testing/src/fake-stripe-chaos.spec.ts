import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe';
import { sdkOf } from './fake-stripe-sdk';
import { FakeStripeChaos } from './fake-stripe-chaos';

describe(FakeStripeChaos.name, () => {
  const fake = new FakeStripe();
  let stripe: Stripe;
  let url: string;

  beforeAll(async () => {
    const port = await fake.start();
    url = `http://127.0.0.1:${port}`;
    stripe = sdkOf(fake, { timeout: 1_000 });
  });

  afterEach(() => fake.chaos.configure(null));
  afterAll(() => fake.stop());

  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const transfer = (destination: string, group: string) =>
    stripe.transfers.create(
      { amount: 500, currency: 'usd', destination, transfer_group: group },
      { idempotencyKey: `key-${group}` },
    );

  it('answers a 500 without making the transfer', async () => {
    const account = fake.createAccount();
    await control('POST', '/_chaos', { seed: 1, rates: { http500: 1 } }).then((r) =>
      expect(r.status).toBe(200),
    );

    await expect(transfer(account.id, 'g500')).rejects.toMatchObject({ statusCode: 500 });

    fake.chaos.configure(null);
    expect(fake.transfers().filter((t) => t.transfer_group === 'g500')).toHaveLength(0);
  });

  it('makes the transfer but answers 500 for http500-executed; a retry replays it', async () => {
    const account = fake.createAccount();
    fake.chaos.configure({ seed: 1, rates: { 'http500-executed': 1 } });

    await expect(transfer(account.id, 'g500x')).rejects.toMatchObject({ statusCode: 500 });
    fake.chaos.configure(null);
    const retried = await transfer(account.id, 'g500x');

    const made = fake.transfers().filter((t) => t.transfer_group === 'g500x');
    expect(made).toHaveLength(1);
    expect(retried.id).toBe(made[0].id);
  });

  it('answers 429 rate_limit without executing', async () => {
    const account = fake.createAccount();
    fake.chaos.configure({ seed: 1, rates: { http429: 1 } });

    await expect(transfer(account.id, 'g429')).rejects.toMatchObject({
      type: 'StripeRateLimitError',
      statusCode: 429,
    });
  });

  it('drops the connection after hangMs on a timeout, with or without the transfer', async () => {
    const account = fake.createAccount();
    fake.chaos.configure({ seed: 1, rates: { timeout: 1 }, hangMs: 50 });
    await expect(transfer(account.id, 'gt')).rejects.toMatchObject({
      type: 'StripeConnectionError',
    });
    fake.chaos.configure({ seed: 1, rates: { 'timeout-executed': 1 }, hangMs: 50 });
    await expect(transfer(account.id, 'gtx')).rejects.toMatchObject({
      type: 'StripeConnectionError',
    });

    fake.chaos.configure(null);
    const groups = fake.transfers().map((t) => t.transfer_group);
    expect(groups).not.toContain('gt');
    expect(groups).toContain('gtx');
  });

  it('spares endpoints outside its list and reports what it injected', async () => {
    const account = fake.createAccount();
    fake.chaos.configure({ seed: 7, rates: { http500: 1 }, endpoints: ['GET /v1/accounts/*'] });

    await expect(transfer(account.id, 'spared')).resolves.toMatchObject({ amount: 500 });
    await expect(stripe.accounts.retrieve(account.id)).rejects.toMatchObject({ statusCode: 500 });

    const status = (await (await control('GET', '/_chaos')).json()) as {
      requestsSeen: number;
      injected: Record<string, number>;
    };
    expect(status.requestsSeen).toBe(1);
    expect(status.injected.http500).toBe(1);
    const switchedOff = (await (await control('DELETE', '/_chaos')).json()) as typeof status;
    expect(switchedOff.injected.http500).toBe(1);
    await expect(stripe.accounts.retrieve(account.id)).resolves.toMatchObject({ id: account.id });
  });

  it('injects the same faults for the same seed and request sequence', async () => {
    const account = fake.createAccount();
    const run = async (): Promise<number[]> => {
      fake.chaos.configure({ seed: 42, rates: { http500: 0.5 } });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        statuses.push(
          await stripe.accounts.retrieve(account.id).then(
            () => 200,
            (err: { statusCode?: number }) => err.statusCode ?? 0,
          ),
        );
      }
      return statuses;
    };

    const first = await run();
    const second = await run();

    expect(second).toEqual(first);
    expect(first).toContain(500);
    expect(first).toContain(200);
  });

  it('lists every transfer and refuses a bad configuration', async () => {
    const listed = (await (await control('GET', '/_chaos/transfers')).json()) as {
      data: unknown[];
    };
    expect(listed.data.length).toBe(fake.transfers().length);
    await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: fake.createPaymentMethod().id,
      confirm: true,
    });
    const charges = (await (await control('GET', '/_chaos/charges')).json()) as {
      paymentIntents: unknown[];
      refunds: unknown[];
    };
    expect(charges.paymentIntents).toHaveLength(1);
    expect(charges).toEqual({ paymentIntents: fake.paymentIntents(), refunds: fake.refunds() });

    const bad = await control('POST', '/_chaos', { seed: 1, rates: { meteor: 0.5 } });
    expect(bad.status).toBe(400);
  });
});
