import { moneyParams, parseStripeForm, positiveAmount, Reply } from './stripe-wire';

const refusal = (encoded: string) => {
  const parsed = moneyParams(parseStripeForm(encoded));
  if (!('refused' in parsed)) throw new Error(`expected a refusal of ${encoded}`);
  const { error } = parsed.refused.body as { error: { code: string; param: string } };
  return { status: parsed.refused.status, code: error.code, param: error.param };
};

describe(moneyParams.name, () => {
  it('reads amount, currency (lower-cased) and metadata', () => {
    expect(
      moneyParams(parseStripeForm('amount=7500&currency=USD&metadata[payout_id]=po_1')),
    ).toEqual({ amount: 7500, currency: 'usd', metadata: { payout_id: 'po_1' } });
  });

  it('names what is missing before what is malformed', () => {
    expect(refusal('currency=u')).toEqual({
      status: 400,
      code: 'parameter_missing',
      param: 'amount',
    });
    expect(refusal('amount=x')).toEqual({
      status: 400,
      code: 'parameter_missing',
      param: 'currency',
    });
  });

  it('refuses a zero, negative or fractional amount, a bad currency and bad metadata', () => {
    for (const amount of ['0', '-5', '1.5', '']) {
      expect(refusal(`amount=${amount}&currency=usd`)).toMatchObject({ param: 'amount' });
    }
    expect(refusal('amount=1&currency=dollars')).toMatchObject({
      code: 'parameter_invalid',
      param: 'currency',
    });
    expect(refusal('amount=1&currency=usd&metadata=flat')).toMatchObject({ param: 'metadata' });
  });
});

describe(positiveAmount.name, () => {
  it('names the parameter it refuses', () => {
    const refused = positiveAmount('0', 'refund_amount') as Reply;
    expect(refused).toMatchObject({ status: 400, notExecuted: true });
    expect(refused.body).toMatchObject({ error: { param: 'refund_amount' } });
    expect(positiveAmount('12')).toBe(12);
  });
});
