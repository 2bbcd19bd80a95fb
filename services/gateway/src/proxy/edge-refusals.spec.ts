import type { INestApplication } from '@nestjs/common';
import { ROLES, type Role } from '@rewards/service-kit';
import request from 'supertest';
import {
  startFakeUpstream,
  startGateway,
  testConfig,
  tokenFor,
  type FakeUpstream,
} from '../../test/gateway-test-app';
import { GATEWAY_ROUTES, UPSTREAMS, type ProxyRoute, type UpstreamName } from './routes';

const USER = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const PARAM = '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d';

const pathOf = (route: ProxyRoute) => route.path.replace(/:\w+/g, PARAM);
const allowedRole = (route: ProxyRoute): Role =>
  Array.isArray(route.access) ? (route.access as readonly Role[])[0] : 'student';
const hasBody = (route: ProxyRoute) => route.method !== 'GET' && route.method !== 'DELETE';
const name = (route: ProxyRoute) => `${route.method} ${route.path}`;

/**
 * What every route of the table refuses at the edge, before its upstream hears of it. Driven by
 * GATEWAY_ROUTES, so a route added to the table is covered without a line here.
 */
describe('gateway edge refusals, for every route of the table', () => {
  const upstreams = {} as Record<UpstreamName, FakeUpstream>;
  let app: INestApplication;

  beforeAll(async () => {
    for (const upstream of UPSTREAMS) upstreams[upstream] = await startFakeUpstream();
    app = await startGateway(
      testConfig({
        BOOKINGS_URL: upstreams.bookings.url,
        REFERRALS_URL: upstreams.referrals.url,
        WALLET_URL: upstreams.wallet.url,
        PAYOUTS_URL: upstreams.payouts.url,
      }),
    );
  });
  afterAll(async () => {
    await app.close();
    await Promise.all(UPSTREAMS.map((upstream) => upstreams[upstream].close()));
  });
  beforeEach(() => UPSTREAMS.forEach((upstream) => (upstreams[upstream].received.length = 0)));

  const call = (route: ProxyRoute, query = '') => {
    const req = request(app.getHttpServer())[
      route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'
    ](`${pathOf(route)}${query}`);
    return route.access === 'public'
      ? req
      : req.set('authorization', `Bearer ${tokenFor(USER, [allowedRole(route)])}`);
  };
  const nothingForwarded = () =>
    UPSTREAMS.forEach((upstream) => expect(upstreams[upstream].received).toHaveLength(0));

  const signedIn = GATEWAY_ROUTES.filter((r) => r.access !== 'public');
  const roleBound = GATEWAY_ROUTES.filter((r) => Array.isArray(r.access));
  const withBody = GATEWAY_ROUTES.filter(hasBody);

  it.each(signedIn.map((r) => [name(r), r] as const))(
    '%s: 401 without a token and with a bad one',
    async (_name, route) => {
      const bare = request(app.getHttpServer())[
        route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'
      ](pathOf(route));
      expect((await bare).status).toBe(401);
      const forged = tokenFor(USER, ['admin'], { secret: 'f'.repeat(40) });
      const res = await call(route).set('authorization', `Bearer ${forged}`);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      nothingForwarded();
    },
  );

  it.each(roleBound.map((r) => [name(r), r] as const))(
    '%s: 403 for a role it does not allow',
    async (_name, route) => {
      const others = ROLES.filter((role) => !(route.access as readonly Role[]).includes(role));
      for (const role of others) {
        const res = await call(route).set('authorization', `Bearer ${tokenFor(USER, [role])}`);
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('FORBIDDEN');
      }
      nothingForwarded();
    },
  );

  it.each(withBody.map((r) => [name(r), r] as const))(
    '%s: 422 for NUL in a string and for prototype keys, naming the field',
    async (_name, route) => {
      for (const [body, field] of [
        ['{"displayName":"a\\u0000b"}', 'displayName'],
        ['{"profile":{"__proto__":{"isAdmin":true}}}', 'profile.__proto__'],
        ['{"constructor":{"prototype":{"x":1}}}', 'constructor'],
      ]) {
        const res = await call(route).set('content-type', 'application/json').send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 422 });
        expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      }
      nothingForwarded();
    },
  );

  it.each(withBody.map((r) => [name(r), r] as const))(
    '%s: 413 for a body over 100kb or nested over 32 levels',
    async (_name, route) => {
      const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
      const huge = JSON.stringify({ padding: 'x'.repeat(101 * 1024) });
      for (const body of [deep, huge]) {
        const res = await call(route).set('content-type', 'application/json').send(body);
        expect(res.status).toBe(413);
        expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      }
      nothingForwarded();
    },
  );

  it.each(GATEWAY_ROUTES.map((r) => [name(r), r] as const))(
    '%s: 422 for a control character in the query string',
    async (_name, route) => {
      const res = await call(route, '?cursor=a%00b');
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'cursor' });
      nothingForwarded();
    },
  );
});
