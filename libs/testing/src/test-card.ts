/** Stripe's test card numbers the fake Stripe knows. */
export const TEST_CARDS = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  /** Declined at confirmation: card_declined, generic_decline. */
  declined: '4000000000000002',
} as const;

/**
 * A test card number of one's own, the same for the same seed (e.g. a user id): two users pay
 * with one card only when a test means them to. A Visa number with a valid check digit.
 */
export function testCardFor(seed: string): string {
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const body = `4242${String(hash).padStart(11, '0').slice(-11)}`;
  return body + luhnCheckDigit(body);
}

function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

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
