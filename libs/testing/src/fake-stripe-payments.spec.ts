import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe';
import { sdkOf } from './fake-stripe-sdk';
import { createTestPaymentMethod, TEST_CARDS, testCardFor } from './test-card';

describe(`${FakeStripe.name} card payments`, () => {
  const fake = new FakeStripe();
  let stripe: Stripe;

  beforeAll(async () => {
    await fake.start();
    stripe = sdkOf(fake);
  });

  afterAll(() => fake.stop());

  const card = (number: string) =>
    stripe.paymentMethods.create({
      type: 'card',
      card: { number, exp_month: 12, exp_year: 2099, cvc: '123' },
    } as Stripe.PaymentMethodCreateParams);

  const charge = (paymentMethod: string, amount = 8000, idempotencyKey?: string) =>
    stripe.paymentIntents.create(
      { amount, currency: 'usd', payment_method: paymentMethod, confirm: true },
      idempotencyKey === undefined ? undefined : { idempotencyKey },
    );

  it('makes a card payment method with brand, last4 and a fingerprint per card number', async () => {
    const first = await card('4242424242424242');
    const again = await card('4242 4242 4242 4242');
    const other = await card('5555555555554444');

    const fetched = await stripe.paymentMethods.retrieve(first.id);

    expect(first.id).toMatch(/^pm_/);
    expect(fetched.card).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(again.card?.fingerprint).toBe(first.card?.fingerprint);
    expect(other.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
    expect(other.card?.fingerprint).not.toBe(first.card?.fingerprint);
    expect(JSON.stringify(fetched)).not.toContain('4242424242424242');
  });

  it('refuses a card number that fails the checksum as Stripe does', async () => {
    await expect(card('4242424242424241')).rejects.toMatchObject({
      type: 'StripeCardError',
      statusCode: 402,
      code: 'incorrect_number',
    });
  });

  it('answers 404 for an unknown payment method', async () => {
    await expect(stripe.paymentMethods.retrieve('pm_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('charges a confirmed payment intent at once', async () => {
    const pm = await card('4242424242424242');

    const intent = await charge(pm.id);
    const fetched = await stripe.paymentIntents.retrieve(intent.id);

    expect(intent).toMatchObject({
      status: 'succeeded',
      amount: 8000,
      amount_received: 8000,
      currency: 'usd',
      payment_method: pm.id,
    });
    expect(intent.latest_charge).toMatch(/^ch_/);
    expect(fetched.status).toBe('succeeded');
  });

  it('declines a decline test card with card_declined and keeps the failed intent', async () => {
    const pm = fake.createPaymentMethod('4000000000000002');

    const declined = await charge(pm.id).catch((err: unknown) => err);

    expect(declined).toMatchObject({
      type: 'StripeCardError',
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'generic_decline',
    });
    const intentId = (declined as Stripe.errors.StripeCardError).payment_intent?.id;
    expect(fake.paymentIntents().find((p) => p.id === intentId)).toMatchObject({
      status: 'requires_payment_method',
      amount_received: 0,
    });
  });

  it('replays a charge for the same idempotency key instead of charging twice', async () => {
    const pm = fake.createPaymentMethod();
    const first = await charge(pm.id, 8000, 'booking-b1');

    const again = await charge(pm.id, 8000, 'booking-b1');

    expect(again.id).toBe(first.id);
    expect(fake.paymentIntents().filter((p) => p.payment_method === pm.id)).toHaveLength(1);
  });

  it('replays a decline for the same idempotency key', async () => {
    const pm = fake.createPaymentMethod('4000000000009995');
    const expected = { code: 'card_declined', decline_code: 'insufficient_funds' };

    await expect(charge(pm.id, 8000, 'booking-b2')).rejects.toMatchObject(expected);
    await expect(charge(pm.id, 8000, 'booking-b2')).rejects.toMatchObject(expected);
    expect(fake.paymentIntents().filter((p) => p.payment_method === pm.id)).toHaveLength(1);
  });

  it('refuses to charge an unknown payment method', async () => {
    await expect(charge('pm_missing')).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'payment_method',
    });
  });

  it('refunds a charge in full once, idempotently, and refuses a second refund', async () => {
    const intent = await charge(fake.createPaymentMethod().id, 6000);

    const refund = await stripe.refunds.create(
      { payment_intent: intent.id },
      { idempotencyKey: 'refund-b3' },
    );
    const replay = await stripe.refunds.create(
      { payment_intent: intent.id },
      { idempotencyKey: 'refund-b3' },
    );
    const listed = await stripe.refunds.list({ payment_intent: intent.id });

    expect(refund).toMatchObject({ amount: 6000, status: 'succeeded', payment_intent: intent.id });
    expect(replay.id).toBe(refund.id);
    expect(listed.data.map((r) => r.id)).toEqual([refund.id]);
    await expect(stripe.refunds.create({ payment_intent: intent.id })).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_already_refunded',
    });
  });

  it('refunds part of a charge and refuses more than is left', async () => {
    const intent = await charge(fake.createPaymentMethod().id, 6000);

    await stripe.refunds.create({ payment_intent: intent.id, amount: 2000 });

    await expect(
      stripe.refunds.create({ payment_intent: intent.id, amount: 4001 }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'amount' });
    await expect(
      stripe.refunds.create({ payment_intent: intent.id, amount: 4000 }),
    ).resolves.toMatchObject({ amount: 4000 });
  });

  it('refuses to refund a declined intent', async () => {
    const declined = (await charge(fake.createPaymentMethod('4000000000000002').id).catch(
      (err: unknown) => err,
    )) as Stripe.errors.StripeCardError;

    await expect(
      stripe.refunds.create({ payment_intent: declined.payment_intent!.id }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'charge_not_refundable' });
  });

  it('gives clients a payment method id over HTTP, as Stripe.js would', async () => {
    const id = await createTestPaymentMethod(fake.url, TEST_CARDS.mastercard);

    await expect(stripe.paymentMethods.retrieve(id)).resolves.toMatchObject({
      card: { brand: 'mastercard' },
    });
  });

  it('gives each seed a valid card of its own', async () => {
    const [a, b] = [testCardFor('user-a'), testCardFor('user-b')];

    const [pmA, pmA2, pmB] = [await card(a), await card(a), await card(b)];

    expect(pmA.card?.fingerprint).toBe(pmA2.card?.fingerprint);
    expect(pmB.card?.fingerprint).not.toBe(pmA.card?.fingerprint);
  });

  it('finds payment intents by a metadata value, as Stripe search does', async () => {
    const pm = await card('4242424242424242');
    const attempt = `attempt-${Date.now()}`;
    const made = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
      metadata: { charge_attempt_id: attempt },
    });
    await charge(pm.id, 1300);

    const found = await stripe.paymentIntents.search({
      query: `metadata['charge_attempt_id']:'${attempt}' AND status:'succeeded'`,
    });
    const none = await stripe.paymentIntents.search({
      query: "metadata['charge_attempt_id']:'never-made'",
    });

    expect(found.data.map((p) => p.id)).toEqual([made.id]);
    expect(none.data).toEqual([]);
    await expect(stripe.paymentIntents.search({ query: 'amount>1000' })).rejects.toMatchObject({
      statusCode: 400,
      param: 'query',
    });
  });
});
