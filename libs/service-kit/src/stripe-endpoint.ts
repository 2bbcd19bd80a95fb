/** Where the Stripe SDK sends its requests, in the shape of its `host`, `port`, `protocol` options. */
export interface StripeEndpoint {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

/**
 * The SDK options that point it at `STRIPE_API_URL` (a fake in development and tests), or none
 * when the variable is unset, so the SDK keeps Stripe's own API. Retries and timeouts stay with
 * each service: they are its policy, not the endpoint's.
 */
export function stripeEndpoint(apiUrl: string | undefined): StripeEndpoint | Record<string, never> {
  if (apiUrl === undefined || apiUrl === '') return {};
  const url = new URL(apiUrl);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') {
    throw new Error(`STRIPE_API_URL must be an http or https URL, got ${url.protocol}`);
  }
  return {
    host: url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    protocol: secure ? 'https' : 'http',
  };
}
