import { RewardsApi, RewardsApiError } from '@rewards/api-client';
import { createTestPaymentMethod, errorOf, eventually } from '@rewards/testing';
import { buildOpenApiDocument } from '../services/gateway/src/openapi/openapi-document';
import { GATEWAY_ROUTES } from '../services/gateway/src/proxy/routes';
import { expectConformance } from './support/conformance-coverage';
import { conformingFetch, schemaErrors } from './support/openapi-conformance';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';

/**
 * A web team's script, written against the generated client only: sign in (dev token), register,
 * connect a payout account, go live, book, and read back, all typed from the served document.
 */
describe(RewardsApi.name, () => {
  let platform: PlatformUnderTest;
  let api: RewardsApi;
  // Every answer of every call below is checked against the document it was generated from.
  const doc = buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });
  const conformance = conformingFetch(doc);

  beforeAll(async () => {
    platform = await startPlatform();
    api = new RewardsApi({ baseUrl: platform.gatewayUrl, fetch: conformance.fetch });
  });
  afterAll(async () => {
    await platform?.close();
  });

  const signIn = async (role: 'student' | 'instructor') => {
    const { token, userId } = await api.createDevToken({ role });
    return { id: userId, api: api.withToken(token) };
  };

  const refusal = async (call: Promise<unknown>): Promise<RewardsApiError> => {
    try {
      await call;
    } catch (err) {
      if (err instanceof RewardsApiError) return err;
      throw err;
    }
    throw new Error('the call was accepted');
  };

  it('registers, books and reads its own data with full types', async () => {
    const ines = await signIn('instructor');
    const registered = await ines.api.registerAccount({
      role: 'instructor',
      email: `${ines.id}@example.test`,
      displayName: 'Ines',
    });
    expect(registered).toMatchObject({ id: ines.id, live: false, payoutAccountConnected: false });
    const stripeAccount = platform.stripe.createAccount({ payoutsEnabled: true });
    await ines.api.setPayoutAccount({ stripeAccountId: stripeAccount.id });
    expect((await ines.api.goLive()).live).toBe(true);

    const sam = await signIn('student');
    await sam.api.registerAccount({
      role: 'student',
      email: `${sam.id}@example.test`,
      displayName: 'Sam',
    });
    const startsAt = new Date(Date.now() + 3_600_000);
    const booking = await sam.api.createBooking({
      instructorId: ines.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      priceCents: 8000,
      paymentMethodId: await createTestPaymentMethod(platform.stripe.url),
    });
    expect(booking).toMatchObject({ studentId: sam.id, status: 'confirmed' });
    expect(booking.price).toEqual({ amountCents: 8000, currency: 'USD' });
    expect(await sam.api.getBooking({ id: booking.id })).toEqual(booking);
    expect(booking.paymentIntentId).toMatch(/^pi_/);
    // The instructor sees the booking but not the student's payment.
    const seenByInstructor = await ines.api.getBooking({ id: booking.id });
    expect(seenByInstructor).not.toHaveProperty('paymentIntentId');
    expect({ ...seenByInstructor, paymentIntentId: booking.paymentIntentId }).toEqual(booking);

    const wallet = await sam.api.getMyWallet();
    expect(wallet.ownerId).toBe(sam.id);
    expect((await sam.api.getMyWalletHistory({ limit: 5 })).entries).toEqual([]);
    expect((await sam.api.getMyPayouts()).items).toEqual([]);
    const referrals = await eventually(() => ines.api.getMyReferrals(), { timeoutMs: 60_000 });
    expect(referrals.link).toContain(`/r/${referrals.code}`);
    expect((await api.getFoundingStatus()).cap).toBeGreaterThan(0);

    const quote = await sam.api.quoteCheckout({
      instructorId: ines.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      priceCents: 8000,
    });
    expect(quote.listPrice).toEqual({ amountCents: 8000, currency: 'USD' });
    expect((await api.getStudentProgramTerms()).requiresVerification).toEqual(['email', 'phone']);
    const popup = await eventually(
      async () => {
        const answer = await ines.api.getLivePopup();
        expect(answer.popup).not.toBeNull();
        return answer.popup;
      },
      { timeoutMs: 60_000 },
    );
    expect(popup?.code).toBe(referrals.code);
    await ines.api.acknowledgeLivePopup();
    expect((await ines.api.getLivePopup()).popup).toBeNull();
    expect((await sam.api.cancelBooking({ id: booking.id })).status).toBe('cancelled');
  });

  it("refuses another user's booking and what a role may not do, with typed errors", async () => {
    const ines = await signIn('instructor');
    await ines.api.registerAccount({
      role: 'instructor',
      email: `${ines.id}@example.test`,
      displayName: 'I',
    });
    const stripeAccount = platform.stripe.createAccount({ payoutsEnabled: true });
    await ines.api.setPayoutAccount({ stripeAccountId: stripeAccount.id });
    await ines.api.goLive();
    const [sam, eve] = [await signIn('student'), await signIn('student')];
    for (const s of [sam, eve]) {
      await s.api.registerAccount({
        role: 'student',
        email: `${s.id}@example.test`,
        displayName: 'S',
      });
    }
    const startsAt = new Date(Date.now() + 3_600_000);
    const booking = await sam.api.createBooking({
      instructorId: ines.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      priceCents: 8000,
      paymentMethodId: await createTestPaymentMethod(platform.stripe.url),
    });

    // Another user's booking answers as a missing one: 404, nothing of it told.
    const theirs = await refusal(eve.api.getBooking({ id: booking.id }));
    expect(theirs.status).toBe(404);
    expect(errorOf(theirs).code).toBe('BOOKING_NOT_FOUND');
    expect(JSON.stringify(theirs.body)).not.toContain(sam.id);
    const wrongRole = await refusal(sam.api.completeBooking({ id: booking.id }));
    expect(wrongRole.status).toBe(403);
    expect(errorOf(wrongRole).code).toBe('FORBIDDEN');
    const anonymous = await refusal(api.getMyWallet());
    expect(errorOf(anonymous)).toMatchObject({
      code: 'UNAUTHENTICATED',
      requestId: expect.any(String),
    });
    const admin = await refusal(api.createDevToken({ role: 'admin' }));
    expect(admin.status).toBe(403);
  });

  it('answered every call above with a documented status and schema', () => {
    // The check itself refuses what the document does not say.
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    expect(schemaErrors(doc, ref('Booking'), { id: 'b-1' })).toEqual(
      expect.arrayContaining(['$.id: "b-1" is not a uuid', '$.studentId: missing']),
    );
    expect(
      schemaErrors(doc, ref('VerificationState'), {
        emailVerified: true,
        phoneVerified: 'no',
        admin: true,
      }),
    ).toEqual(['$.phoneVerified: "no" is not a boolean', '$.admin: not documented']);
    expectConformance('api-client', conformance);
  });
});
