import { randomUUID } from 'node:crypto';
import { errorOf, eventually, stripeSignatureHeader } from '@rewards/testing';
import request from 'supertest';
import { buildOpenApiDocument } from '../services/gateway/src/openapi/openapi-document';
import { GATEWAY_ROUTES } from '../services/gateway/src/proxy/routes';
import { instructorReferralFlow } from './support/instructor-referral-flow';
import { expectConformance } from './support/conformance-coverage';
import { conformingAgent } from './support/openapi-conformance';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';

type Auth = Record<string, string>;
interface User {
  id: string;
  auth: Auth;
}
interface Referred {
  refereeId: string;
  status: string;
  bonus: { amountCents: number; currency: string } | null;
  failureReason: string | null;
  nextRetryAt: string | null;
}

/** Generous: consumer groups that just lost a member (an earlier suite) rebalance first. */
const SLOW = { timeoutMs: 60_000, intervalMs: 200 };

/**
 * The instructor program tried as an instructor (and an operator) would, only through the
 * gateway: share the link, follow the referred instructor to paid, see the popup once, a
 * reversal by signed webhook, and an admin's retry of a payout that failed for good.
 */
describe('instructor referral program through the gateway', () => {
  let platform: PlatformUnderTest;
  // Every answer through the gateway must be what the API document says it is.
  const doc = buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });
  const conformance = { problems: [] as string[], checked: [] as string[] };
  const gw = () => conformingAgent(doc, request(platform.gatewayUrl), conformance);

  beforeAll(async () => {
    // No retry window: a payout that fails fails for good at once, for the admin to retry.
    platform = await startPlatform({
      payoutsEnv: { PAYOUT_RETRY_WINDOW_MS: '0' },
      gatewayEnv: { AUTH_DEV_TOKENS_ADMIN: 'true' },
    });
  });

  afterAll(async () => {
    await platform?.close();
  });

  const { signIn, teachFirstLesson, ...flow } = instructorReferralFlow(() => platform);
  const registerInstructor = (opts: { referralCode?: string; payoutsEnabled?: boolean }) =>
    flow.registerInstructor(opts.referralCode, opts);

  const statsOf = (user: User) =>
    eventually(async () => (await gw().get('/referrals/me').set(user.auth).expect(200)).body, SLOW);

  const referredBy = async (referrer: User, refereeId: string): Promise<Referred | undefined> => {
    const res = await gw().get('/referrals/me/referred-instructors').set(referrer.auth).expect(200);
    return (res.body.items as Referred[]).find((i) => i.refereeId === refereeId);
  };

  const untilReferred = (referrer: User, refereeId: string, expected: Partial<Referred>) =>
    eventually(async () => {
      const item = await referredBy(referrer, refereeId);
      expect(item).toMatchObject(expected);
      return item as Referred;
    }, SLOW);

  const payoutOf = async (user: User) => {
    const res = await gw().get('/payouts/me').set(user.auth).expect(200);
    expect(res.body.items).toHaveLength(1);
    return res.body.items[0] as { id: string; status: string; transferId: string | null };
  };

  const signedWebhook = (body: string, secret = platform.stripeWebhookSecret) =>
    gw()
      .post('/webhooks/stripe')
      .set('content-type', 'application/json; charset=utf-8')
      .set('stripe-signature', stripeSignatureHeader(body, secret, new Date()))
      .send(body);

  it('takes a referred instructor through every status to paid, shows the popup once, and a reversal once', async () => {
    const founding = (await gw().get('/referrals/founding-status').expect(200)).body;
    expect(founding).toMatchObject({
      cap: expect.any(Number),
      awarded: expect.any(Number),
      spotsLeft: founding.cap - founding.awarded,
    });
    // What B's first lesson will earn A (other suites share the program's founding spots).
    const bonus = {
      amountCents:
        founding.spotsLeft > 0
          ? founding.foundingBonus.amountCents
          : founding.standardBonus.amountCents,
      currency: 'USD',
    };

    // A shares the link.
    const a = await registerInstructor({});
    const stats = await statsOf(a);
    expect(stats.link).toMatch(new RegExp(`/r/${stats.code}$`));
    expect(stats.instructorProgram.counts).toEqual({
      pending_live: 0,
      pending_lesson: 0,
      pending_transfer: 0,
      paid: 0,
      failed: 0,
    });

    // B signs up with it.
    const b = await registerInstructor({ referralCode: stats.code });
    await untilReferred(a, b.id, { status: 'pending_live', bonus: null });
    expect((await gw().get('/referrals/me/live-popup').set(b.auth).expect(200)).body).toEqual({
      popup: null,
    });

    // B goes live, and sees the popup until acknowledging it.
    await gw().post('/accounts/me/go-live').set(b.auth).expect(200);
    await untilReferred(a, b.id, { status: 'pending_lesson' });
    const popup = await eventually(async () => {
      const res = await gw().get('/referrals/me/live-popup').set(b.auth).expect(200);
      expect(res.body.popup).not.toBeNull();
      return res.body.popup;
    }, SLOW);
    expect(popup).toMatchObject({ referredBy: { referrerId: a.id, status: 'pending_lesson' } });
    await gw().post('/referrals/me/live-popup/ack').set(b.auth).expect(200);
    await gw().post('/referrals/me/live-popup/ack').set(b.auth).expect(200);
    expect((await gw().get('/referrals/me/live-popup').set(b.auth).expect(200)).body).toEqual({
      popup: null,
    });

    // B's first lesson earns A's bonus; with payouts away it waits for its transfer.
    await platform.stop('payouts');
    await teachFirstLesson(b);
    await untilReferred(a, b.id, {
      status: 'pending_transfer',
      bonus,
    });
    expect((await statsOf(a)).instructorProgram.earnings).toEqual({
      paidCents: 0,
      pendingCents: bonus.amountCents,
      currency: 'USD',
    });
    await platform.restart('payouts');
    await untilReferred(a, b.id, { status: 'paid', bonus });
    const after = await statsOf(a);
    expect(after.instructorProgram.earnings).toMatchObject({
      paidCents: bonus.amountCents,
      pendingCents: 0,
    });
    expect(after.instructorProgram.counts).toMatchObject({ paid: 1 });
    const paid = await payoutOf(a);
    expect(paid.status).toBe('paid');

    // Stripe reverses the transfer and says so, signed.
    platform.stripe.reverseTransfer(paid.transferId!);
    const reversed = JSON.stringify(
      platform.stripe.transferEvent('transfer.reversed', paid.transferId!),
    );
    const applied = await signedWebhook(reversed).expect(200);
    expect(applied.body).toEqual({ received: true, outcome: 'applied' });
    expect((await payoutOf(a)).status).toBe('reversed');
    const shown = await untilReferred(a, b.id, {
      status: 'failed',
      failureReason: 'TRANSFER_REVERSED',
      nextRetryAt: null,
    });

    // The same webhook again, or one badly signed: nothing changes.
    const again = await signedWebhook(reversed).expect(200);
    expect(again.body.outcome).toBe('duplicate');
    const failed = JSON.stringify(
      platform.stripe.transferEvent('transfer.failed', paid.transferId!),
    );
    const forged = await signedWebhook(failed, 'whsec_not_stripe');
    expect([forged.status, errorOf(forged).code]).toEqual([400, 'STRIPE_SIGNATURE_INVALID']);
    const unsigned = await gw()
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .send(failed);
    expect([unsigned.status, errorOf(unsigned).code]).toEqual([400, 'STRIPE_SIGNATURE_INVALID']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await payoutOf(a)).toMatchObject({ status: 'reversed', transferId: paid.transferId });
    expect(await referredBy(a, b.id)).toEqual(shown);
    expect(
      platform.stripe.transfers().filter((t) => t.destination === a.stripeAccountId),
    ).toHaveLength(1);
  });

  it('lets an admin find a payout that failed for good and retry it into one transfer', async () => {
    const admin = await signIn('admin');
    const d = await registerInstructor({ payoutsEnabled: false });
    const { code } = await statsOf(d);
    const c = await registerInstructor({ referralCode: code });
    await gw().post('/accounts/me/go-live').set(c.auth).expect(200);
    await untilReferred(d, c.id, { status: 'pending_lesson' });
    await teachFirstLesson(c);

    await untilReferred(d, c.id, {
      status: 'failed',
      failureReason: 'PAYOUTS_NOT_ENABLED',
      nextRetryAt: null,
    });
    const list = await gw()
      .get('/admin/payouts')
      .query({ beneficiaryId: d.id, status: 'failed' })
      .set(admin.auth)
      .expect(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        beneficiaryId: d.id,
        status: 'failed',
        lastError: expect.objectContaining({ code: 'PAYOUTS_NOT_ENABLED' }),
      }),
    ]);
    const payoutId = list.body.items[0].id as string;
    const stats = await gw().get('/admin/payouts/stats').set(admin.auth).expect(200);
    expect(stats.body.endedByReason.PAYOUTS_NOT_ENABLED).toBeGreaterThanOrEqual(1);
    const notAdmin = await gw().get('/admin/payouts').set(d.auth);
    expect([notAdmin.status, errorOf(notAdmin).code]).toEqual([403, 'FORBIDDEN']);
    const badQuery = await gw().get('/admin/payouts').query({ status: 'lost' }).set(admin.auth);
    expect([badQuery.status, errorOf(badQuery).field]).toEqual([422, 'status']);
    const unknown = await gw().post(`/admin/payouts/${randomUUID()}/retry`).set(admin.auth);
    expect(unknown.status).toBe(404);

    // D finishes onboarding on Stripe; the admin retries, twice by mistake.
    platform.stripe.setPayoutsEnabled(d.stripeAccountId, true);
    await gw().post(`/admin/payouts/${payoutId}/retry`).set(admin.auth).expect(200);
    await gw().post(`/admin/payouts/${payoutId}/retry`).set(admin.auth).expect(200);

    await untilReferred(d, c.id, { status: 'paid', bonus: expect.objectContaining({}) });
    expect((await payoutOf(d)).status).toBe('paid');
    expect(
      platform.stripe.transfers().filter((t) => t.destination === d.stripeAccountId),
    ).toHaveLength(1);
  });

  it('answered every call above as the API document says', () => {
    expectConformance('instructor-program', conformance);
  });
});
