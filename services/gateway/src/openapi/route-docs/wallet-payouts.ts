import { pageQuery, type RouteDoc } from '../route-doc';

/** The wallet, the caller's payouts and Stripe's webhook. */
export const WALLET_PAYOUTS_ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /wallet/me': {
    operationId: 'getMyWallet',
    summary: "The caller's credit balances, pending rewards and credit expiring soon",
    response: { status: 200, schema: 'WalletBalance', description: 'the balances' },
  },
  'GET /wallet/me/history': {
    operationId: 'getMyWalletHistory',
    summary: "A page of the caller's wallet entries, newest first",
    query: pageQuery('^[1-9][0-9]{0,17}$', 'page size, default 20'),
    response: { status: 200, schema: 'WalletHistoryPage', description: 'one page' },
  },
  'GET /payouts/me': {
    operationId: 'getMyPayouts',
    summary: "The caller's cash payouts and their transfer state",
    response: { status: 200, schema: 'Payouts', description: 'newest first' },
  },
  'POST /webhooks/stripe': {
    operationId: 'stripeWebhook',
    summary: 'Stripe events (transfer.failed, transfer.reversed); signature verified by payouts',
    response: { status: 200, schema: 'Acknowledged', description: 'applied or ignored' },
    errors: [
      { status: 400, code: 'STRIPE_SIGNATURE_INVALID', when: 'missing, wrong or stale signature' },
    ],
  },
};
