import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe';
import { sdkOf } from './fake-stripe-sdk';

describe(`${FakeStripe.name} with a state file`, () => {
  let dir: string;
  let stateFile: string;
  const started: FakeStripe[] = [];

  async function startFake(file: string | undefined): Promise<FakeStripe> {
    const fake = new FakeStripe(undefined, { stateFile: file });
    await fake.start();
    started.push(fake);
    return fake;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fake-stripe-'));
    stateFile = join(dir, 'fake-stripe', 'state.json');
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((fake) => fake.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('still knows accounts, transfers and idempotency keys after a restart', async () => {
    const before = await startFake(stateFile);
    const account = await sdkOf(before).accounts.create({ type: 'express' });
    const params = { amount: 7500, currency: 'usd', destination: account.id };
    const options = { idempotencyKey: 'payout-po_persist' };
    const transfer = await sdkOf(before).transfers.create(params, options);
    await before.stop();

    const after = await startFake(stateFile);
    const stripe = sdkOf(after);
    const replay = await stripe.transfers.create(params, options);

    expect((await stripe.accounts.retrieve(account.id)).id).toBe(account.id);
    expect((await stripe.transfers.retrieve(transfer.id)).amount).toBe(7500);
    expect(replay.id).toBe(transfer.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(after.transfers().map((t) => t.id)).toEqual([transfer.id]);
  });

  it('still knows payment methods, payment intents and refunds after a restart', async () => {
    const before = await startFake(stateFile);
    const declining = before.createPaymentMethod('4000000000000002');
    const paying = await sdkOf(before).paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_month: 12, exp_year: 2099 },
    } as Stripe.PaymentMethodCreateParams);
    const params = { amount: 8000, currency: 'usd', payment_method: paying.id, confirm: true };
    const options = { idempotencyKey: 'booking-persist' };
    const intent = await sdkOf(before).paymentIntents.create(params, options);
    const refund = await sdkOf(before).refunds.create({ payment_intent: intent.id, amount: 100 });
    await before.stop();

    const after = await startFake(stateFile);
    const stripe = sdkOf(after);

    expect((await stripe.paymentIntents.create(params, options)).id).toBe(intent.id);
    expect((await stripe.paymentMethods.retrieve(paying.id)).card?.fingerprint).toBe(
      paying.card?.fingerprint,
    );
    expect((await stripe.refunds.retrieve(refund.id)).amount).toBe(100);
    await expect(
      stripe.paymentIntents.create({ ...params, payment_method: declining.id }),
    ).rejects.toMatchObject({ code: 'card_declined' });
  });

  it('reads a state file written before the fake took payments', async () => {
    mkdirSync(join(dir, 'fake-stripe'));
    writeFileSync(
      stateFile,
      JSON.stringify({ version: 1, accounts: [], transfers: [], idempotency: [] }),
    );

    const fake = await startFake(stateFile);

    expect(fake.paymentIntents()).toEqual([]);
  });

  it('has the transfer on disk by the time the client gets its answer', async () => {
    const fake = await startFake(stateFile);
    const account = fake.createAccount();

    const transfer = await sdkOf(fake).transfers.create({
      amount: 100,
      currency: 'usd',
      destination: account.id,
    });

    // Read while the fake still runs: what a kill -9 right after the answer would leave.
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.transfers.map((t: { id: string }) => t.id)).toEqual([transfer.id]);
    expect(readdirSync(join(dir, 'fake-stripe'))).toEqual(['state.json']);
  });

  it('keeps accounts changed through the test API', async () => {
    const before = await startFake(stateFile);
    const account = before.createAccount();
    before.setPayoutsEnabled(account.id, false);
    await before.stop();

    const after = await startFake(stateFile);

    await expect(sdkOf(after).accounts.retrieve(account.id)).resolves.toMatchObject({
      payouts_enabled: false,
    });
  });

  it('keeps nothing between instances without a state file', async () => {
    const first = await startFake(undefined);
    const account = first.createAccount();

    const second = await startFake(undefined);

    await expect(sdkOf(second).accounts.retrieve(account.id)).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(existsSync(stateFile)).toBe(false);
  });

  it('refuses a state file it cannot read rather than starting empty', () => {
    mkdirSync(join(dir, 'fake-stripe'));
    writeFileSync(stateFile, '{"accounts": 3}');

    expect(() => new FakeStripe(undefined, { stateFile })).toThrow(/not a fake Stripe state file/);
  });
});
