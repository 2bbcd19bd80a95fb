import type { INestApplication } from '@nestjs/common';
import { INTERNAL_TOKEN_HEADER, verifyInternalToken, type Role } from '@rewards/service-kit';
import request from 'supertest';
import {
  startFakeUpstream,
  startGateway,
  TEST_INTERNAL_AUTH_KEY,
  testConfig,
  tokenFor,
  unusedUrl,
  type FakeUpstream,
  type ReceivedRequest,
} from '../../test/gateway-test-app';
import { ProxyRoutes, proxyRouteOptions, type ProxySteps } from './proxy-routes';
import { GATEWAY_ROUTES, UPSTREAMS, type UpstreamName } from './routes';

const STUDENT = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const INSTRUCTOR = '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const bearer = (userId: string, roles: Role[]) => `Bearer ${tokenFor(userId, roles)}`;

/** The user the gateway's internal token names, verified as the upstream would. */
function vouchedFor(forwarded: ReceivedRequest, audience: string) {
  const token = forwarded.headers[INTERNAL_TOKEN_HEADER];
  if (typeof token !== 'string') throw new Error('no internal token forwarded');
  const claims = verifyInternalToken(token, {
    key: TEST_INTERNAL_AUTH_KEY,
    audience,
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  expect(claims.iss).toBe('gateway');
  return claims.usr;
}

describe(ProxyRoutes.name, () => {
  const upstreams = {} as Record<UpstreamName, FakeUpstream>;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    for (const name of UPSTREAMS) upstreams[name] = await startFakeUpstream();
    app = await startGateway(
      testConfig({
        BOOKINGS_URL: upstreams.bookings.url,
        REFERRALS_URL: upstreams.referrals.url,
        WALLET_URL: upstreams.wallet.url,
        // A trailing slash on an upstream URL must not double the path's.
        PAYOUTS_URL: `${upstreams.payouts.url}/`,
      }),
    );
  });

  afterAll(async () => {
    await app.close();
    await Promise.all(UPSTREAMS.map((name) => upstreams[name].close()));
  });

  beforeEach(() => {
    for (const name of UPSTREAMS) {
      upstreams[name].received.length = 0;
      upstreams[name].reply = { status: 200, body: '{"ok":true}', contentType: 'application/json' };
    }
  });

  const nothingForwarded = () =>
    UPSTREAMS.forEach((name) => expect(upstreams[name].received).toHaveLength(0));

  it('forwards method, path, query, body and headers, and relays an upstream 422 verbatim', async () => {
    const upstreamError =
      '{"error":{"code":"LESSON_TOO_SHORT","message":"lessons last at least 30 minutes","field":"minutes"}}';
    upstreams.bookings.reply = {
      status: 422,
      body: upstreamError,
      contentType: 'application/problem+json; charset=utf-8',
    };

    const res = await http()
      .post('/bookings?source=app&tag=a%20b')
      .set('authorization', bearer(STUDENT, ['student']))
      .set('content-type', 'application/json')
      .set('traceparent', TRACEPARENT)
      .set('x-request-id', 'req-123')
      .set('cookie', 'session=abc')
      .send('{"instructorId":"i-1","minutes":15}');

    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.text).toBe(upstreamError);

    expect(upstreams.bookings.received).toHaveLength(1);
    const [forwarded] = upstreams.bookings.received;
    expect(forwarded.method).toBe('POST');
    expect(forwarded.url).toBe('/bookings?source=app&tag=a%20b');
    expect(JSON.parse(forwarded.body)).toEqual({ instructorId: 'i-1', minutes: 15 });
    expect(forwarded.headers).toMatchObject({
      'content-type': 'application/json',
      traceparent: TRACEPARENT,
      'x-request-id': 'req-123',
    });
    expect(vouchedFor(forwarded, 'bookings')).toEqual({ id: STUDENT, roles: ['student'] });
    // The token and cookies stay at the edge; services trust the internal token alone.
    expect(forwarded.headers.authorization).toBeUndefined();
    expect(forwarded.headers.cookie).toBeUndefined();
  });

  it('sends the verified identity, never the x-user-* headers the client sent', async () => {
    await http()
      .get('/wallet/me')
      .set('authorization', bearer(STUDENT, ['student']))
      .set('x-user-id', INSTRUCTOR)
      .set('x-user-roles', 'admin')
      .set('x-user-email', 'admin@example.com')
      .expect(200);

    const [forwarded] = upstreams.wallet.received;
    expect(vouchedFor(forwarded, 'wallet')).toEqual({ id: STUDENT, roles: ['student'] });
    expect(forwarded.headers['x-user-id']).toBeUndefined();
    expect(forwarded.headers['x-user-roles']).toBeUndefined();
    expect(forwarded.headers['x-user-email']).toBeUndefined();
  });

  it('forwards public routes without any identity, even one the client made up', async () => {
    upstreams.referrals.reply = {
      status: 200,
      body: '{"spotsLeft":42}',
      contentType: 'application/json',
    };

    const res = await http()
      .get('/referrals/founding-status')
      .set('x-user-id', STUDENT)
      .set('x-user-roles', 'admin');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ spotsLeft: 42 });
    const [forwarded] = upstreams.referrals.received;
    expect(forwarded.headers['x-user-id']).toBeUndefined();
    expect(forwarded.headers['x-user-roles']).toBeUndefined();
    expect(vouchedFor(forwarded, 'referrals')).toBeUndefined();
  });

  it('signs each call for its upstream only, so one service cannot replay it at another', async () => {
    await http()
      .get('/payouts/me')
      .set('authorization', bearer(INSTRUCTOR, ['instructor']))
      .expect(200);
    const [forwarded] = upstreams.payouts.received;
    expect(() => vouchedFor(forwarded, 'bookings')).toThrow('internal token is not for bookings');
    expect(vouchedFor(forwarded, 'payouts')).toEqual({ id: INSTRUCTOR, roles: ['instructor'] });
  });

  it('forwards a checked JSON body as its exact bytes, not re-serialized', async () => {
    // Whitespace, a number's spelling and an escape: parse + stringify would change each.
    const payload = '{ "instructorId" : "i-1",\n "minutes": 30.0, "note": "caf\\u00e9" }';

    const res = await http()
      .post('/bookings')
      .set('authorization', bearer(STUDENT, ['student']))
      .set('content-type', 'application/json')
      .send(payload);

    expect(res.status).toBe(200);
    expect(upstreams.bookings.received[0].body).toBe(payload);
  });

  it('forwards a Stripe webhook publicly with its exact bytes and its signature header', async () => {
    // Whitespace, key order and escapes that JSON.parse + stringify would all change.
    const payload =
      '{ "id":"evt_1",\n  "type" : "transfer.reversed", "amount": 1.50, "n":"\\u00e9" }';

    const res = await http()
      .post('/webhooks/stripe')
      .set('content-type', 'application/json; charset=utf-8')
      .set('stripe-signature', 't=1,v1=abc')
      .set('authorization', bearer(STUDENT, ['student']))
      .send(payload);

    expect(res.status).toBe(200);
    const [forwarded] = upstreams.payouts.received;
    expect(forwarded.url).toBe('/webhooks/stripe');
    expect(forwarded.body).toBe(payload);
    expect(forwarded.headers['stripe-signature']).toBe('t=1,v1=abc');
    expect(forwarded.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(forwarded.headers['x-user-id']).toBeUndefined();
    expect(forwarded.headers.authorization).toBeUndefined();
  });

  it('forwards a webhook body of another type unparsed, and no signature header elsewhere', async () => {
    await http()
      .post('/webhooks/stripe')
      .set('content-type', 'text/plain')
      .set('stripe-signature', 't=1,v1=abc')
      .send('not json')
      .expect(200);
    expect(upstreams.payouts.received[0].body).toBe('not json');

    await http()
      .post('/accounts')
      .set('authorization', bearer(STUDENT, ['student']))
      .set('stripe-signature', 't=1,v1=abc')
      .send({ a: 1 })
      .expect(200);
    expect(upstreams.bookings.received[0].headers['stripe-signature']).toBeUndefined();
  });

  it('generates a request id when the client sends none or a bad one', async () => {
    const first = await http().get('/referrals/founding-status').expect(200);
    await http().get('/referrals/founding-status').set('x-request-id', 'bad id\t!').expect(200);

    const [a, b] = upstreams.referrals.received.map((r) => r.headers['x-request-id']);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(first.headers['x-request-id']).toBe(a);
  });

  it('relays status, body and content-type verbatim, including none', async () => {
    upstreams.bookings.reply = { status: 204, body: '' };
    const res = await http()
      .get('/accounts/me')
      .set('authorization', bearer(STUDENT, ['student']));
    expect(res.status).toBe(204);
    expect(res.headers['content-type']).toBeUndefined();
  });

  it('relays an upstream 503 SERVICE_UNAVAILABLE with its code and Retry-After', async () => {
    const unavailable =
      '{"error":{"code":"SERVICE_UNAVAILABLE","message":"the service is temporarily unavailable; retry later"}}';
    upstreams.payouts.reply = {
      status: 503,
      body: unavailable,
      contentType: 'application/json; charset=utf-8',
      headers: { 'retry-after': '5', 'x-internal-detail': 'pg 53300' },
    };

    const res = await http()
      .get('/payouts/me')
      .set('authorization', bearer(INSTRUCTOR, ['instructor']));

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).toBe(unavailable);
    // Only an allow-list of answer headers leaves the gateway.
    expect(res.headers['x-internal-detail']).toBeUndefined();
  });

  it.each(GATEWAY_ROUTES.map((r) => [r.method, r.path, r.upstream] as const))(
    'routes %s %s to %s on the same path',
    async (method, path, upstream) => {
      const concrete = path.replace(/:\w+/g, 'b-1');
      const client = request(app.getHttpServer());
      await client[method.toLowerCase() as 'get' | 'post' | 'put'](concrete)
        .set('authorization', bearer(INSTRUCTOR, ['student', 'instructor', 'admin']))
        .expect(200);

      expect(upstreams[upstream].received.map((r) => `${r.method} ${r.url}`)).toEqual([
        `${method} ${concrete}`,
      ]);
    },
  );

  it.each(['/admin/payouts', '/admin/payouts/stats'])(
    'refuses %s to anyone but an admin, before reaching payouts',
    async (path) => {
      const res = await http()
        .get(path)
        .set('authorization', bearer(INSTRUCTOR, ['student', 'instructor']));

      expect([res.status, res.body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect(upstreams.payouts.received).toEqual([]);
    },
  );

  it("relays a share link's redirect as a browser needs it: Location and each Set-Cookie", async () => {
    const cookies = [
      'rp_ref=click-1; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax',
      'rp_did=device-1; Max-Age=63072000; Path=/; HttpOnly; SameSite=Lax',
    ];
    upstreams.referrals.reply = {
      status: 302,
      body: '',
      headers: {
        location: 'https://app.example.com/join?ref=ANA-1',
        'set-cookie': cookies,
        'cache-control': 'no-store',
        'x-powered-by': 'referrals',
      },
    };

    const res = await http()
      .get('/r/ANA-1')
      .set('cookie', 'rp_did=device-0')
      .set('x-device-id', 'phone-1')
      .set('user-agent', 'Mozilla/5.0')
      .redirects(0);

    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://app.example.com/join?ref=ANA-1');
    // Two lines, not one joined header: a browser would drop both cookies otherwise.
    expect(res.headers['set-cookie']).toEqual(cookies);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-powered-by']).toBeUndefined();
    const [forwarded] = upstreams.referrals.received;
    expect(forwarded.url).toBe('/r/ANA-1');
    expect(forwarded.headers).toMatchObject({
      cookie: 'rp_did=device-0',
      'x-device-id': 'phone-1',
      'user-agent': 'Mozilla/5.0',
    });
    expect(forwarded.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1$/);
  });

  it('relays no Location or Set-Cookie on routes that do not name them', async () => {
    upstreams.referrals.reply = {
      status: 200,
      body: '{"ok":true}',
      contentType: 'application/json',
      headers: { location: 'https://elsewhere.example', 'set-cookie': ['tracking=1; Path=/'] },
    };

    const res = await http().get('/referrals/program').expect(200);

    expect(res.headers.location).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    // Nor does the client's cookie reach a route that does not need it.
    await http().get('/referrals/program').set('cookie', 'session=abc').expect(200);
    expect(upstreams.referrals.received.at(-1)?.headers.cookie).toBeUndefined();
  });

  it('refuses a webhook body over 100kb with 413, JSON or not, and forwards nothing', async () => {
    for (const type of ['application/json', 'text/plain']) {
      const res = await http()
        .post('/webhooks/stripe')
        .set('content-type', type)
        .set('stripe-signature', 't=1,v1=abc')
        .send(`{"padding":"${'x'.repeat(100 * 1024)}"}`);
      expect([res.status, res.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    }
    nothingForwarded();
  });

  it('routes a path param longer than 100 characters (a share link with a long slug)', async () => {
    const slug = `${'a'.repeat(150)}-x`;
    await http().get(`/r/${slug}`).expect(200);
    expect(upstreams.referrals.received[0].url).toBe(`/r/${slug}`);
  });

  it('re-encodes path params and refuses dot segments', async () => {
    const auth = bearer(STUDENT, ['student']);
    await http().get('/bookings/a%2Fb%3Fc').set('authorization', auth).expect(200);
    expect(upstreams.bookings.received[0].url).toBe('/bookings/a%2Fb%3Fc');

    upstreams.bookings.received.length = 0;
    for (const id of ['%2E%2E', '.%2e', '%2e']) {
      const res = await http()
        .post(`/bookings/${id}/complete`)
        .set('authorization', bearer(INSTRUCTOR, ['instructor']));
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
    }
    nothingForwarded();
  });

  it('refuses a missing, expired or forged token with 401 UNAUTHENTICATED', async () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'sign in first: send Authorization: Bearer <token>'],
      [`Bearer ${tokenFor(STUDENT, ['student'], { expiresInSeconds: -60 })}`, 'token has expired'],
      [
        `Bearer ${tokenFor(STUDENT, ['student'], { secret: 'x'.repeat(32) })}`,
        'token signature is invalid',
      ],
      ['Bearer abc.def', 'token is malformed'],
    ];
    for (const [authorization, message] of cases) {
      const call = http().get('/referrals/me');
      const res = await (authorization === undefined
        ? call
        : call.set('authorization', authorization));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: { requestId: expect.any(String), code: 'UNAUTHENTICATED', message },
      });
    }
    nothingForwarded();
  });

  it('refuses a student on an instructor route with 403 FORBIDDEN', async () => {
    const res = await http()
      .get('/referrals/me/referred-instructors')
      .set('authorization', bearer(STUDENT, ['student']));

    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: {
        requestId: expect.any(String),
        code: 'FORBIDDEN',
        message: 'requires role instructor',
      },
    });
    nothingForwarded();
  });

  it('refuses an instructor on a student route, and an admin on an instructor route', async () => {
    await http()
      .post('/bookings')
      .set('authorization', bearer(INSTRUCTOR, ['instructor']))
      .send({})
      .expect(403);
    await http()
      .post('/accounts/me/go-live')
      .set('authorization', bearer(INSTRUCTOR, ['admin']))
      .expect(403);
    nothingForwarded();
  });

  it.each([
    ['GET', '/internal/accounts/x'],
    ['GET', '/bookings'],
    ['DELETE', '/bookings/b-1'],
    ['GET', '/nowhere'],
    ['POST', '/referrals/founding-status'],
  ])('answers %s %s with 404 ROUTE_NOT_FOUND', async (method, path) => {
    const client = request(app.getHttpServer());
    const res = await client[method.toLowerCase() as 'get' | 'post' | 'delete'](path).set(
      'authorization',
      bearer(INSTRUCTOR, ['student', 'instructor', 'admin']),
    );

    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { requestId: expect.any(String), code: 'ROUTE_NOT_FOUND', message: 'no such route' },
    });
    nothingForwarded();
  });

  it('refuses a body that is not JSON instead of dropping it', async () => {
    const res = await http()
      .post('/accounts')
      .set('authorization', bearer(STUDENT, ['student']))
      .set('content-type', 'text/plain')
      .send('hello');

    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      requestId: expect.any(String),
      code: 'MALFORMED_REQUEST',
      message: 'request body must be application/json',
    });
    nothingForwarded();
  });

  it('refuses JSON in another charset than UTF-8 with 415, as body-parser did', async () => {
    const res = await http()
      .post('/accounts')
      .set('authorization', bearer(STUDENT, ['student']))
      .set('content-type', 'application/json; charset=latin1')
      .send('{"email":"x@example.test"}');

    expect([res.status, res.body.error.code]).toEqual([415, 'MALFORMED_REQUEST']);
    nothingForwarded();
  });

  it('refuses malformed JSON with 400 before calling the upstream', async () => {
    const res = await http()
      .post('/accounts')
      .set('authorization', bearer(STUDENT, ['student']))
      .set('content-type', 'application/json')
      .send('{"email": ');

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MALFORMED_REQUEST');
    nothingForwarded();
  });

  it('refuses a route table that would expose /internal', () => {
    expect(() =>
      proxyRouteOptions(
        [{ method: 'GET', path: '/Internal/x', upstream: 'wallet', access: 'public' }],
        {} as ProxySteps,
      ),
    ).toThrow(/never exposed/);
  });
});

describe('proxy to an upstream that does not answer', () => {
  let app: INestApplication;
  let hanging: FakeUpstream;
  let healthy: FakeUpstream;

  beforeAll(async () => {
    hanging = await startFakeUpstream();
    hanging.reply = 'hang';
    healthy = await startFakeUpstream();
    app = await startGateway(
      testConfig({
        BOOKINGS_URL: healthy.url,
        WALLET_URL: await unusedUrl(),
        PAYOUTS_URL: hanging.url,
        UPSTREAM_TIMEOUTS: 'payouts=150',
      }),
    );
  });

  afterAll(async () => {
    await app.close();
    await hanging.close();
    await healthy.close();
  });

  it('answers 503 UPSTREAM_UNAVAILABLE when the upstream is down', async () => {
    const res = await request(app.getHttpServer())
      .get('/wallet/me')
      .set('authorization', bearer(STUDENT, ['student']));

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      error: {
        requestId: expect.any(String),
        code: 'UPSTREAM_UNAVAILABLE',
        message: 'wallet is unavailable',
      },
    });
  });

  it('answers 504 UPSTREAM_TIMEOUT when the upstream does not answer in its own timeout', async () => {
    const res = await request(app.getHttpServer())
      .get('/payouts/me')
      .set('authorization', bearer(INSTRUCTOR, ['instructor']));

    expect(res.status).toBe(504);
    expect(res.body).toEqual({
      error: {
        requestId: expect.any(String),
        code: 'UPSTREAM_TIMEOUT',
        message: 'payouts did not answer within 150 ms',
      },
    });
    expect(hanging.received).toHaveLength(1);
  });

  it('opens the circuit of an upstream that keeps failing: 503 at once, its routes only', async () => {
    const wallet = () =>
      request(app.getHttpServer())
        .get('/wallet/me')
        .set('authorization', bearer(STUDENT, ['student']));
    // Four more refusals after the first test's one: five in a row open the circuit.
    for (let i = 0; i < 4; i += 1) expect((await wallet()).status).toBe(503);
    const open = await wallet();
    expect(open.status).toBe(503);
    expect(Number(open.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(open.headers['retry-after'])).toBeLessThanOrEqual(5);
    // Bookings is healthy and unaffected.
    const bookings = await request(app.getHttpServer())
      .get('/accounts/me')
      .set('authorization', bearer(STUDENT, ['student']));
    expect(bookings.status).toBe(200);
  });
});
