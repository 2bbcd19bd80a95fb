import { CODE_NOT_READY, money, type RouteDoc } from '../route-doc';

/** Codes, share links, the programs' terms and instructor surfaces (referrals). */
export const REFERRALS_ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /referrals/founding-status': {
    operationId: 'getFoundingStatus',
    summary: 'Founding instructor program: bonuses awarded and spots left (public)',
    response: {
      status: 200,
      schema: 'FoundingStatus',
      description: 'the program now',
      example: {
        cap: 100,
        awarded: 58,
        spotsLeft: 42,
        foundingBonus: { amountCents: 7500, currency: 'USD' },
        standardBonus: { amountCents: 5000, currency: 'USD' },
      },
    },
  },
  'GET /referrals/program': {
    operationId: 'getStudentProgramTerms',
    summary: "The student program's terms for landing and terms pages (public)",
    response: {
      status: 200,
      schema: 'ProgramTerms',
      description: 'the terms now in force',
      example: {
        referrerReward: money(2000),
        refereeDiscount: money(2000),
        minimumLessonPrice: money(7500),
        attributionWindowDays: 30,
        attributionModel: 'last_click',
        holdDays: 7,
        creditLifetimeMonths: 6,
        requiresVerification: ['email', 'phone'],
        ftcDisclosure: 'Referrers earn credit when friends book a qualifying lesson.',
      },
    },
  },
  'GET /r/:slug': {
    operationId: 'followShareLink',
    summary:
      'A share link, opened by a browser: records the click and redirects to the landing page ' +
      '(public; the client follows the redirect, no JSON)',
    response: {
      status: 302,
      description:
        'to LANDING_URL?ref=CODE with the attribution cookies; an unknown or disabled slug ' +
        'redirects to LANDING_URL without them',
      headers: {
        Location: 'the landing page',
        'Set-Cookie': 'rp_ref (the click, 30 days, HttpOnly, SameSite=Lax) and rp_did (device)',
      },
    },
  },
  'GET /referrals/me': {
    operationId: 'getMyReferrals',
    summary: "The caller's referral code, share link, referrer and earnings",
    response: { status: 200, schema: 'ReferralStats', description: 'the referral stats' },
    errors: [CODE_NOT_READY],
  },
  'GET /referrals/me/referred-instructors': {
    operationId: 'getReferredInstructors',
    summary: 'Instructors the caller referred, with where each stands',
    response: { status: 200, schema: 'ReferredInstructors', description: 'newest first' },
  },
  'GET /referrals/me/live-popup': {
    operationId: 'getLivePopup',
    summary: "The instructor's one-time popup after going live (null before, and once seen)",
    response: {
      status: 200,
      schema: 'LivePopupAnswer',
      description: 'the popup, or null',
      example: {
        popup: {
          wentLiveAt: '2027-01-04T15:00:00.000Z',
          code: 'ANA-4F7Q',
          link: 'https://rewards.example.com/r/ANA-4F7Q',
          bonus: { founding: money(7500), standard: money(5000), foundingSpotsLeft: 42 },
          referredBy: null,
        },
      },
    },
    errors: [CODE_NOT_READY],
  },
  'POST /referrals/me/live-popup/ack': {
    operationId: 'acknowledgeLivePopup',
    summary: 'The instructor has seen the popup; it is not shown again',
    response: {
      status: 200,
      schema: 'LivePopupAcknowledged',
      description: 'when it was acknowledged (the first time)',
      example: { acknowledgedAt: '2027-01-04T15:01:00.000Z' },
    },
    errors: [{ status: 409, code: 'NOT_LIVE_YET', when: 'the instructor has not gone live' }],
  },
  'POST /referrals/claim': {
    operationId: 'claimReferralCode',
    summary: 'Names the code that referred the caller when the cookie was lost (once)',
    request: 'ClaimCode',
    requestExample: { code: 'RITA-7K2Q' },
    response: {
      status: 201,
      schema: 'ClaimResult',
      description: 'the attribution made',
      example: {
        outcome: 'attributed',
        code: 'RITA-7K2Q',
        attributedAt: '2027-01-04T15:00:00.000Z',
      },
    },
    errors: [
      { status: 404, code: 'CODE_NOT_READY', when: "the caller's signup is still being recorded" },
      { status: 409, code: 'ALREADY_ATTRIBUTED', when: 'the caller was attributed already' },
      { status: 422, code: 'UNKNOWN_CODE', when: 'no such code, or a disabled one' },
      { status: 422, code: 'CLAIM_WINDOW_CLOSED', when: 'more than 30 days after signup' },
      { status: 422, code: 'CLAIM_REFUSED', when: 'own code, own device, or the other program' },
    ],
  },
};
