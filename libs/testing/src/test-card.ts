/** Stripe's test card numbers the fake Stripe knows. */
export const TEST_CARDS = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  /** Declined at confirmation: card_declined, generic_decline. */
  declined: '4000000000000002',
} as const;

/**
 * What a web or mobile client does with Stripe.js before it books: turns a card into a payment
 * method id (`pm_...`) at the (fake) Stripe. The one way tests, benchmarks and the fault harness
 * get a `paymentMethodId` for `POST /bookings`.
 */
export async function createTestPaymentMethod(
  stripeUrl: string,
  cardNumber: string = TEST_CARDS.visa,
  apiKey = 'pk_test_client',
): Promise<string> {
  const form = new URLSearchParams({
    type: 'card',
    'card[number]': cardNumber,
    'card[exp_month]': '12',
    'card[exp_year]': '2099',
    'card[cvc]': '123',
  });
  const response = await fetch(new URL('/v1/payment_methods', stripeUrl), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form.toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { id?: string; error?: { message?: string } };
  if (!response.ok || typeof body.id !== 'string') {
    throw new Error(`no payment method (${response.status}): ${body.error?.message ?? ''}`);
  }
  return body.id;
}
