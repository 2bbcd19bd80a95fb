import type { AccessRule } from '../auth/access-check';
import type { RateLimitPolicy } from '../rate-limit/gcra';

export const UPSTREAMS = ['bookings', 'referrals', 'wallet', 'payouts'] as const;
export type UpstreamName = (typeof UPSTREAMS)[number];

type ProxyMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ProxyRoute {
  method: ProxyMethod;
  /** Route path (`:name` params); the upstream is called on the same path, params re-encoded. */
  path: string;
  upstream: UpstreamName;
  access: AccessRule;
  /**
   * `raw`: the body's exact bytes go upstream whatever their type (a signed webhook is verified
   * on them); default `json`: only a JSON body is accepted, and forwarded re-serialized.
   */
  body?: 'json' | 'raw';
  /** Request headers forwarded besides the usual ones, e.g. a webhook's signature. */
  forwardHeaders?: readonly string[];
  /** Response headers relayed to the client besides content-type and retry-after. */
  relayHeaders?: readonly string[];
  /** Tells the upstream the client's address and scheme (X-Forwarded-For, -Proto). */
  forwardClient?: boolean;
  /**
   * This route's limit, per client IP on public routes and per user on the others; default
   * RATE_LIMIT_PUBLIC_PER_MINUTE or RATE_LIMIT_USER_PER_MINUTE.
   */
  rateLimit?: RateLimitPolicy;
}

const route = (
  method: ProxyMethod,
  path: string,
  upstream: UpstreamName,
  access: AccessRule,
  extra: Pick<
    ProxyRoute,
    'body' | 'forwardHeaders' | 'relayHeaders' | 'forwardClient' | 'rateLimit'
  > = {},
): ProxyRoute => ({ method, path, upstream, access, ...extra });

/** Everything clients can reach through the gateway: one line per route, anything else is 404. */
export const GATEWAY_ROUTES: readonly ProxyRoute[] = [
  route('GET', '/referrals/founding-status', 'referrals', 'public'),
  route('GET', '/referrals/program', 'referrals', 'public'),

  // The share link: the hottest public route. Cookies and device id name the click and device.
  route('GET', '/r/:slug', 'referrals', 'public', {
    forwardHeaders: ['user-agent', 'cookie', 'x-device-id'],
    relayHeaders: ['location', 'set-cookie', 'cache-control'],
    forwardClient: true,
  }),

  // Signup carries the attribution cookie and the device id (hashed by bookings).
  route('POST', '/accounts', 'bookings', 'signed-in', {
    forwardHeaders: ['cookie', 'x-device-id'],
    forwardClient: true,
  }),
  route('GET', '/accounts/me', 'bookings', 'signed-in'),
  route('PUT', '/accounts/me/payout-account', 'bookings', ['instructor']),
  route('POST', '/accounts/me/go-live', 'bookings', ['instructor']),
  route('POST', '/accounts/me/verification/:channel', 'bookings', 'signed-in'),
  route('POST', '/accounts/me/verification/:channel/confirm', 'bookings', 'signed-in'),
  route('POST', '/bookings', 'bookings', ['student']),
  route('GET', '/bookings/:id', 'bookings', 'signed-in'),
  route('POST', '/bookings/:id/complete', 'bookings', ['instructor']),
  route('POST', '/bookings/:id/cancel', 'bookings', ['student', 'instructor']),
  route('POST', '/bookings/:id/refund', 'bookings', ['admin']),
  route('POST', '/checkout/apply-referral', 'bookings', ['student']),

  route('GET', '/referrals/me', 'referrals', 'signed-in'),
  route('GET', '/referrals/me/referred-instructors', 'referrals', ['instructor']),
  route('GET', '/referrals/me/live-popup', 'referrals', ['instructor']),
  route('POST', '/referrals/me/live-popup/ack', 'referrals', ['instructor']),
  route('POST', '/referrals/claim', 'referrals', 'signed-in'),

  route('GET', '/admin/referrals/review', 'referrals', ['admin']),
  route('POST', '/admin/referrals/review/:rewardId/approve', 'referrals', ['admin']),
  route('POST', '/admin/referrals/review/:rewardId/void', 'referrals', ['admin']),
  route('POST', '/admin/referrals/users/:userId/ban', 'referrals', ['admin']),
  route('GET', '/admin/referrals/users/:userId/debug', 'referrals', ['admin']),
  route('GET', '/admin/referrals/config', 'referrals', ['admin']),
  route('PUT', '/admin/referrals/config', 'referrals', ['admin']),
  route('GET', '/admin/referrals/summary', 'referrals', ['admin']),

  route('GET', '/wallet/me', 'wallet', 'signed-in'),
  route('GET', '/wallet/me/history', 'wallet', 'signed-in'),

  route('GET', '/payouts/me', 'payouts', 'signed-in'),

  route('GET', '/admin/payouts', 'payouts', ['admin']),
  route('GET', '/admin/payouts/stats', 'payouts', ['admin']),
  route('POST', '/admin/payouts/:id/retry', 'payouts', ['admin']),

  // Stripe calls it; payouts verifies the Stripe-Signature on the unchanged bytes.
  route('POST', '/webhooks/stripe', 'payouts', 'public', {
    body: 'raw',
    forwardHeaders: ['stripe-signature'],
    // Stripe sends from a few addresses, in bursts after an outage.
    rateLimit: { limit: 600, perSeconds: 60 },
  }),
];

/** Service-to-service routes; the gateway must never reach them, whatever its table says. */
export const isInternalPath = (path: string): boolean => /^\/+internal(\/|$)/i.test(path);
