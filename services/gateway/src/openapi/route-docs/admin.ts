import { KEYSET_CURSOR_PATTERN } from '@rewards/service-kit';
import { IDS, pageQuery, REVIEW_DECISION_ERRORS, type RouteDoc } from '../route-doc';

/** Admins: the review queue, program configuration and summary (referrals), payouts (payouts). */
export const ADMIN_ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /admin/referrals/review': {
    operationId: 'listReviewQueue',
    summary: 'Student rewards by status (default: waiting for review), with linked accounts',
    query: {
      status: {
        type: 'string',
        enum: ['held', 'review', 'unlocked', 'voided', 'refused'],
        description: 'default review',
      },
      userId: {
        type: 'string',
        format: 'uuid',
        description: 'only the rewards this user earned as referrer or was the friend of',
      },
      ...pageQuery(KEYSET_CURSOR_PATTERN.source, 'default 100'),
    },
    response: {
      status: 200,
      schema: 'ReviewQueue',
      description: 'one page, oldest decision first',
    },
  },
  'POST /admin/referrals/review/:rewardId/approve': {
    operationId: 'approveReward',
    summary: 'Approves a reward held for review: it is held for the refund window, then unlocks',
    request: 'Decision',
    requestExample: { reason: 'siblings sharing a laptop' },
    response: { status: 200, schema: 'ReviewItem', description: 'the reward, approved' },
    errors: REVIEW_DECISION_ERRORS,
  },
  'POST /admin/referrals/review/:rewardId/void': {
    operationId: 'voidReward',
    summary: 'Voids a reward held for review',
    request: 'Decision',
    requestExample: { reason: 'one person, three accounts' },
    response: { status: 200, schema: 'ReviewItem', description: 'the reward, voided' },
    errors: REVIEW_DECISION_ERRORS,
  },
  'POST /admin/referrals/users/:userId/ban': {
    operationId: 'banUser',
    summary: 'Bans a user from the programs, voiding their rewards in review or held',
    request: 'Decision',
    requestExample: { reason: 'fake accounts' },
    response: {
      status: 200,
      schema: 'Ban',
      description: 'the ban and what it voided',
      example: { userId: IDS.user, voidedRewards: 2 },
    },
    errors: [{ status: 404, code: 'USER_NOT_FOUND', when: 'referrals knows no such user' }],
  },
  'GET /admin/referrals/users/:userId/debug': {
    operationId: 'debugUser',
    summary: "Support's raw view of one user's referral state (404 in production)",
    response: { status: 200, schema: 'UserDebug', description: 'rows by table' },
  },
  'GET /admin/referrals/config': {
    operationId: 'getProgramConfig',
    summary: 'The program configuration, who changed each setting, and the audit trail',
    response: { status: 200, schema: 'ProgramConfig', description: 'the configuration' },
  },
  'PUT /admin/referrals/config': {
    operationId: 'updateProgramConfig',
    summary: 'Changes some settings (audited with the reason); applies to later decisions',
    request: 'UpdateProgramConfig',
    requestExample: { reason: 'beta opens', phase: 'beta', holdDays: 7 },
    response: { status: 200, schema: 'ProgramConfig', description: 'the configuration after it' },
    errors: [{ status: 422, code: 'CONFIG_INVALID', when: 'a value breaks a rule (field named)' }],
  },
  'GET /admin/referrals/summary': {
    operationId: 'getReferralSummary',
    summary: 'Clicks, attributions, rewards by status and reason, and cap use over a range',
    query: {
      from: { type: 'string', format: 'date-time', description: 'default: 30 days before to' },
      to: { type: 'string', format: 'date-time', description: 'default: now' },
    },
    response: {
      status: 200,
      schema: 'ReferralSummary',
      description: 'counts over [from, to)',
      example: {
        from: '2027-01-01T00:00:00.000Z',
        to: '2027-01-31T00:00:00.000Z',
        clicks: 1200,
        attributions: { attributed: 140, refused: { SELF_REFERRAL: 3 } },
        rewards: { held: { HELD_REFUND_WINDOW: 12 }, unlocked: { UNLOCKED: 40 } },
        cap: { phase: 'beta', used: 52, cap: 200 },
      },
    },
  },
  'GET /admin/payouts': {
    operationId: 'listPayouts',
    summary: 'Payouts, newest request first, by status, beneficiary and time',
    query: {
      status: { type: 'string', enum: ['pending_transfer', 'paid', 'failed', 'reversed'] },
      beneficiaryId: { type: 'string', format: 'uuid', description: 'the referrer paid' },
      from: { type: 'string', format: 'date-time', description: 'requested at or after' },
      to: { type: 'string', format: 'date-time', description: 'requested before' },
      ...pageQuery(KEYSET_CURSOR_PATTERN.source),
    },
    response: { status: 200, schema: 'PayoutsPage', description: 'one page' },
  },
  'GET /admin/payouts/stats': {
    operationId: 'getPayoutStats',
    summary: 'Payouts by status and attempts by outcome and reason, overall or since a time',
    query: { since: { type: 'string', format: 'date-time' } },
    response: {
      status: 200,
      schema: 'PayoutStats',
      description: 'the counters',
      example: {
        payouts: {
          pending_transfer: { count: 1, amountCents: { USD: 7500 } },
          paid: { count: 57, amountCents: { USD: 427500 } },
          failed: { count: 1, amountCents: { USD: 5000 } },
          reversed: { count: 0, amountCents: {} },
        },
        attempts: { succeeded: 57, failed: 4, failedByReason: { PAYOUTS_NOT_ENABLED: 4 } },
        endedByReason: { PAYOUTS_NOT_ENABLED: 1 },
      },
    },
  },
  'POST /admin/payouts/:id/retry': {
    operationId: 'retryPayout',
    summary: 'Tries a payout failed for good once more (same transfer idempotency key)',
    response: {
      status: 200,
      schema: 'Payout',
      description: 'the payout, awaiting its transfer again (or already paid)',
    },
    errors: [
      { status: 404, code: 'PAYOUT_NOT_FOUND', when: 'no such payout' },
      { status: 409, code: 'PAYOUT_NOT_RETRYABLE', when: 'not failed (paid, reversed, pending)' },
    ],
  },
};
