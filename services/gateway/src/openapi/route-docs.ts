import { ADMIN_ROUTE_DOCS } from './route-docs/admin';
import { BOOKINGS_ROUTE_DOCS } from './route-docs/bookings';
import { REFERRALS_ROUTE_DOCS } from './route-docs/referrals';
import { WALLET_PAYOUTS_ROUTE_DOCS } from './route-docs/wallet-payouts';
import type { RouteDoc } from './route-doc';

export type { DocumentedError, RouteDoc } from './route-doc';

/**
 * One entry per route of GATEWAY_ROUTES, keyed `METHOD path`. A spec fails when a table route has
 * no entry here, so the served document is complete for every route a client can call.
 */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  ...BOOKINGS_ROUTE_DOCS,
  ...REFERRALS_ROUTE_DOCS,
  ...WALLET_PAYOUTS_ROUTE_DOCS,
  ...ADMIN_ROUTE_DOCS,
};
