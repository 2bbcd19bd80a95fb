/**
 * Which answers each end-to-end spec checks against the API document (`METHOD /template STATUS`,
 * as openapi-conformance records them). Each spec asserts its own list with expectConformance;
 * conformance-coverage.spec.ts fails when a gateway route has no checked answer in any list.
 */
export const CONFORMANCE_COVERAGE = {
  'api-client': [
    'POST /accounts 201',
    'PUT /accounts/me/payout-account 200',
    'POST /accounts/me/go-live 200',
    'POST /bookings 201',
    'GET /bookings/{id} 200',
    'GET /bookings/{id} 404',
    'POST /bookings/{id}/complete 403',
    'POST /bookings/{id}/cancel 200',
    'POST /checkout/apply-referral 200',
    'GET /referrals/me 200',
    'GET /referrals/founding-status 200',
    'GET /referrals/program 200',
    'GET /referrals/me/live-popup 200',
    'POST /referrals/me/live-popup/ack 200',
    'GET /wallet/me 200',
    'GET /wallet/me 401',
    'GET /wallet/me/history 200',
    'GET /payouts/me 200',
  ],
  'instructor-program': [
    'GET /referrals/me/referred-instructors 200',
    'GET /referrals/me/live-popup 200',
    'POST /referrals/me/live-popup/ack 200',
    'GET /payouts/me 200',
    'POST /webhooks/stripe 400',
    'GET /admin/payouts 200',
    'GET /admin/payouts/stats 200',
    'POST /admin/payouts/{id}/retry 200',
    'POST /admin/payouts/{id}/retry 404',
  ],
  'student-rewards': [
    'POST /accounts/me/verification/{channel} 202',
    'POST /accounts/me/verification/{channel}/confirm 200',
    'POST /accounts/me/verification/{channel}/confirm 422',
    'GET /accounts/me 200',
    'GET /r/{slug} 302',
    'POST /accounts 201',
    'POST /bookings/{id}/complete 200',
    'POST /bookings/{id}/refund 200',
    'GET /referrals/me 200',
    'GET /wallet/me 200',
  ],
  'student-attribution': [
    'GET /r/{slug} 302',
    'POST /referrals/claim 201',
    'POST /referrals/claim 409',
    'POST /referrals/claim 422',
  ],
  'student-review': [
    'GET /admin/referrals/review 200',
    'GET /admin/referrals/review 422',
    'POST /admin/referrals/review/{rewardId}/approve 200',
    'POST /admin/referrals/review/{rewardId}/approve 409',
    'POST /admin/referrals/review/{rewardId}/approve 422',
    'POST /admin/referrals/review/{rewardId}/void 200',
    'POST /admin/referrals/users/{userId}/ban 200',
    'GET /admin/referrals/users/{userId}/debug 200',
    'GET /admin/referrals/config 200',
    'PUT /admin/referrals/config 200',
    'PUT /admin/referrals/config 422',
    'GET /admin/referrals/summary 200',
    'GET /admin/referrals/summary 422',
    'GET /referrals/program 200',
  ],
} as const satisfies Record<string, readonly string[]>;

export type ConformanceSpec = keyof typeof CONFORMANCE_COVERAGE;

/**
 * The spec's answers all conformed to the document, and among them were those its entry in
 * CONFORMANCE_COVERAGE lists.
 */
export function expectConformance(
  spec: ConformanceSpec,
  record: { problems: readonly string[]; checked: readonly string[] },
): void {
  expect(record.problems).toEqual([]);
  const missing = CONFORMANCE_COVERAGE[spec].filter((op) => !record.checked.includes(op));
  expect(missing).toEqual([]);
}
