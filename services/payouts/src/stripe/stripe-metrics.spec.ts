import { stripeEndpoint } from './stripe-metrics';

describe(stripeEndpoint.name, () => {
  it.each([
    ['/v1/transfers', '/v1/transfers'],
    ['/v1/transfers?transfer_group=payout_1&limit=10', '/v1/transfers'],
    ['/v1/accounts/acct_1NaBc9', '/v1/accounts/:id'],
    ['/v1/transfers/tr_123/reversals', '/v1/transfers/:id/reversals'],
  ])('names %s as %s', (path, endpoint) => {
    expect(stripeEndpoint(path)).toBe(endpoint);
  });
});
