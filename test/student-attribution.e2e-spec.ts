import { randomUUID } from 'node:crypto';
import { signClickToken } from '@rewards/contracts';
import { errorOf, eventually } from '@rewards/testing';
import request from 'supertest';
import { buildOpenApiDocument } from '../services/gateway/src/openapi/openapi-document';
import { GATEWAY_ROUTES } from '../services/gateway/src/proxy/routes';
import { expectConformance } from './support/conformance-coverage';
import { conformingAgent } from './support/openapi-conformance';
import { PlatformUnderTest, startPlatform } from './support/platform-under-test';

const LANDING = 'https://lessons.example/join';
const PEPPER = 'e2e-attribution-pepper-0123456789abcdef';

/** Share links, signup attribution and claims, driven through the gateway as a client would. */
describe('student referral attribution through the gateway', () => {
  let platform: PlatformUnderTest;
  let gw: () => ReturnType<typeof request>;
  // Every answer below is checked against the API document.
  const conformance = { problems: [] as string[], checked: [] as string[] };
  const doc = buildOpenApiDocument(GATEWAY_ROUTES, { devTokens: true });

  beforeAll(async () => {
    platform = await startPlatform({
      referralsEnv: {
        LANDING_URL: LANDING,
        CLICK_FLUSH_INTERVAL_MS: '100',
        ATTRIBUTION_HASH_PEPPER: PEPPER,
      },
      bookingsEnv: { ATTRIBUTION_HASH_PEPPER: PEPPER },
    });
    gw = () => conformingAgent(doc, request(platform.gatewayUrl), conformance);
  });

  afterAll(async () => {
    await platform?.close();
  });

  const signIn = async () => {
    const res = await gw().post('/auth/dev-token').send({ role: 'student' }).expect(200);
    return { id: res.body.userId as string, auth: { authorization: `Bearer ${res.body.token}` } };
  };

  const signUp = async (headers: Record<string, string> = {}, referralCode?: string) => {
    const user = await signIn();
    const res = await gw()
      .post('/accounts')
      .set({ ...user.auth, ...headers })
      .send({ role: 'student', email: `${user.id}@example.test`, displayName: 'S', referralCode })
      .expect(201);
    return { ...user, signup: res.body as { referral: Record<string, unknown> } };
  };

  const codeOf = (user: { auth: Record<string, string> }) =>
    eventually(
      async () => {
        const res = await gw().get('/referrals/me').set(user.auth).expect(200);
        return res.body.code as string;
      },
      { timeoutMs: 60_000 },
    );

  const referredBy = (user: { auth: Record<string, string> }) =>
    eventually(
      async () => {
        const res = await gw().get('/referrals/me').set(user.auth).expect(200);
        expect(res.body.referredBy).not.toBeNull();
        return res.body.referredBy as { outcome: string; code: string; refusalReason: string };
      },
      { timeoutMs: 60_000 },
    );

  const click = (slug: string, headers: Record<string, string> = {}) =>
    gw().get(`/r/${slug}`).set(headers).redirects(0);

  const cookieOf = (setCookie: string[] | undefined, name: string) => {
    const cookie = (setCookie ?? []).find((c) => c.startsWith(`${name}=`));
    return cookie?.split(';')[0].slice(name.length + 1);
  };

  it('redirects a share link with a 30-day first-party cookie and attributes the signup', async () => {
    const referrer = await signUp({ 'x-device-id': `dev-${randomUUID()}` });
    const code = await codeOf(referrer);
    const me = await gw().get('/referrals/me').set(referrer.auth).expect(200);
    expect(me.body.share).toEqual({
      title: 'Get $20 off your first lesson',
      text: 'Use my link to get $20 off your first lesson of $75 or more.',
      url: me.body.link,
    });

    const res = await click(code, { 'x-device-id': `dev-${randomUUID()}` }).expect(302);
    expect(res.headers.location).toBe(`${LANDING}?ref=${code}`);
    const cookies = res.headers['set-cookie'] as unknown as string[];
    const ref = cookies.find((c) => c.startsWith('rp_ref='));
    expect(ref).toMatch(/Max-Age=2592000/);
    expect(ref).toMatch(/HttpOnly/);
    expect(ref).toMatch(/SameSite=Lax/);
    expect(ref).not.toMatch(/Secure/);

    const secure = await click(code, { 'x-forwarded-proto': 'https' }).expect(302);
    expect((secure.headers['set-cookie'] as unknown as string[]).join('\n')).toMatch(/Secure/);

    const friend = await signUp({ cookie: `rp_ref=${cookieOf(cookies, 'rp_ref')}` });
    expect(friend.signup.referral).toMatchObject({ outcome: 'pending', code });
    expect(await referredBy(friend)).toMatchObject({ outcome: 'attributed', code });
  });

  it('attributes by the cookie alone when no replica wrote its click, and never by a forged one', async () => {
    const referrer = await signUp();
    const code = await codeOf(referrer);
    // A click taken by a replica that died before writing its buffer: only the cookie holds it.
    const lost = { clickId: randomUUID(), code, clickedAt: new Date(Date.now() - 3_600_000) };
    const friend = await signUp({ cookie: `rp_ref=${signClickToken(PEPPER, lost)}` });
    expect(friend.signup.referral).toMatchObject({ outcome: 'pending', code });
    expect(await referredBy(friend)).toMatchObject({ outcome: 'attributed', code });
    await eventually(async () => {
      const me = await gw().get('/referrals/me').set(referrer.auth).expect(200);
      expect(me.body.studentProgram).toMatchObject({ clicks: 1, signups: 1 });
    });

    // The same click claimed for another code, or signed with another key, names nobody.
    const [id, , at, mac] = signClickToken(PEPPER, lost).split('.');
    const other = await codeOf(await signUp());
    const forged = await signUp({ cookie: `rp_ref=${[id, other, at, mac].join('.')}` });
    expect(forged.signup.referral).toMatchObject({ outcome: 'none' });
    const foreign = signClickToken('not-the-platform-pepper-0123456789', { ...lost, code: other });
    const stranger = await signUp({ cookie: `rp_ref=${foreign}` });
    expect(stranger.signup.referral).toMatchObject({ outcome: 'none' });
  });

  it("works for a browser: the gateway's redirect leaves cookies a cookie jar sends at signup", async () => {
    const referrer = await signUp({ 'x-device-id': `dev-${randomUUID()}` });
    const code = await codeOf(referrer);
    // One cookie jar, as a browser keeps: no X-Device-Id, no cookie handled by hand.
    const browser = request.agent(platform.gatewayUrl);

    const res = await browser.get(`/r/${code}`).redirects(0).expect(302);
    expect(res.headers.location).toBe(`${LANDING}?ref=${code}`);
    const names = (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split('=')[0]);
    expect(names.sort()).toEqual(['rp_did', 'rp_ref']);

    const friend = await signIn();
    const signup = await browser
      .post('/accounts')
      .set(friend.auth)
      .send({ role: 'student', email: `${friend.id}@example.test`, displayName: 'F' })
      .expect(201);
    expect(signup.body.referral).toMatchObject({ outcome: 'pending', code });
    expect(await referredBy(friend)).toMatchObject({ outcome: 'attributed', code });
  });

  it.each([
    ['malformed', 'ab!cd'],
    ['oversized', 'A'.repeat(200)],
    ['unknown', 'ZZZZZZZZ'],
  ])('redirects a %s slug to the landing page without a cookie', async (_what, slug) => {
    const res = await click(encodeURIComponent(slug)).expect(302);
    expect(res.headers.location).toBe(LANDING);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a self-referral from the referrer own device and says why at signup', async () => {
    const device = `dev-${randomUUID()}`;
    const referrer = await signUp({ 'x-device-id': device });
    const code = await codeOf(referrer);
    const res = await click(code, { 'x-device-id': device }).expect(302);
    const clickId = cookieOf(res.headers['set-cookie'] as unknown as string[], 'rp_ref');

    const second = await signUp({ 'x-device-id': device, cookie: `rp_ref=${clickId}` });
    expect(second.signup.referral).toMatchObject({
      outcome: 'refused',
      reason: 'SELF_REFERRAL_DEVICE',
      message: expect.stringContaining('same device'),
    });
    expect(await referredBy(second)).toMatchObject({
      outcome: 'refused',
      refusalReason: 'SELF_REFERRAL',
      message: expect.stringContaining('same device'),
    });
  });

  it('lets a user claim a code once, never their own, with clear errors', async () => {
    const referrer = await signUp();
    const code = await codeOf(referrer);
    const user = await signUp();
    const own = await codeOf(user);

    const mine = await gw().post('/referrals/claim').set(user.auth).send({ code: own }).expect(422);
    expect(errorOf(mine)).toMatchObject({
      code: 'CLAIM_REFUSED',
      field: 'code',
      details: { reason: 'SELF_REFERRAL' },
    });
    const unknown = await gw()
      .post('/referrals/claim')
      .set(user.auth)
      .send({ code: 'ZZZZZZZZ' })
      .expect(422);
    expect(errorOf(unknown).code).toBe('UNKNOWN_CODE');
    const extra = await gw()
      .post('/referrals/claim')
      .set(user.auth)
      .send({ code, bonus: 100 })
      .expect(422);
    expect(errorOf(extra)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'bonus' });
    const bad = await gw()
      .post('/referrals/claim')
      .set(user.auth)
      .send({ code: 'x'.repeat(100) })
      .expect(422);
    expect(errorOf(bad)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'code' });

    await gw().post('/referrals/claim').set(user.auth).send({ code }).expect(201);
    const twice = await gw().post('/referrals/claim').set(user.auth).send({ code }).expect(409);
    expect(errorOf(twice).code).toBe('ALREADY_ATTRIBUTED');
    expect(await referredBy(user)).toMatchObject({ outcome: 'attributed', code });
  });

  it('answered every call above as the API document says', () => {
    expectConformance('student-attribution', conformance);
  });
});
