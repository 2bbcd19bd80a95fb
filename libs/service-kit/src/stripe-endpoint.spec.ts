import { stripeEndpoint } from './stripe-endpoint';

describe(stripeEndpoint.name, () => {
  it('gives no options when STRIPE_API_URL is unset, so the SDK keeps Stripe itself', () => {
    expect(stripeEndpoint(undefined)).toEqual({});
    expect(stripeEndpoint('')).toEqual({});
  });

  it('points the SDK at a local fake over http with its port', () => {
    expect(stripeEndpoint('http://127.0.0.1:12111')).toEqual({
      host: '127.0.0.1',
      port: 12111,
      protocol: 'http',
    });
  });

  it('takes the default port of the scheme when the URL names none', () => {
    expect(stripeEndpoint('https://stripe.internal.example')).toEqual({
      host: 'stripe.internal.example',
      port: 443,
      protocol: 'https',
    });
    expect(stripeEndpoint('http://stripe-fake')).toEqual({
      host: 'stripe-fake',
      port: 80,
      protocol: 'http',
    });
  });

  it('refuses a URL of another scheme instead of sending card data over it', () => {
    expect(() => stripeEndpoint('ftp://127.0.0.1:21')).toThrow(/http or https/);
  });
});
