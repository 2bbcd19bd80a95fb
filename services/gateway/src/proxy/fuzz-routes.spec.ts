import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
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
const RUNS = 25;

// What an attacker varies: the body (any JSON, hostile keys and characters, or not JSON at all),
// the headers and the path parameters. Whatever it is, the gateway answers below 500, and what
// it refuses never reaches a service.
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\u001b[2J',
    '..',
    '.',
    '%2e%2e',
    '/internal/x',
    '__proto__',
  ),
);
const hostileKey = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype'));
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(hostileKey, fc.oneof(hostileString, fc.integer(), fc.boolean()), { maxKeys: 5 })
    .map((v) => JSON.stringify(v)),
  fc.integer({ min: 30, max: 200 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.string(), // not JSON at all
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
);
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.string().map((s) => `Bearer ${s}`),
  fc.constant(`Bearer ${tokenFor(USER, ['student'])}`),
  fc.constant(`Bearer ${tokenFor(USER, ['instructor'])}`),
  fc.constant(`Bearer ${tokenFor(USER, ['admin'], { secret: 'z'.repeat(40) })}`),
);
const pathParam = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '..%2Finternal'),
);

describe('fuzzed requests on every route of the table', () => {
  const upstreams = {} as Record<UpstreamName, FakeUpstream>;
  let app: INestApplication;

  beforeAll(async () => {
    for (const name of UPSTREAMS) upstreams[name] = await startFakeUpstream();
    app = await startGateway(
      testConfig({
        BOOKINGS_URL: upstreams.bookings.url,
        REFERRALS_URL: upstreams.referrals.url,
        WALLET_URL: upstreams.wallet.url,
        PAYOUTS_URL: upstreams.payouts.url,
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_USER_PER_MINUTE: '100000',
      }),
    );
  });
  afterAll(async () => {
    await app.close();
    await Promise.all(UPSTREAMS.map((name) => upstreams[name].close()));
  });

  const forwarded = () => UPSTREAMS.reduce((n, name) => n + upstreams[name].received.length, 0);

  it.each(GATEWAY_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: never a 5xx, and nothing refused reaches a service',
    async (_name, route: ProxyRoute) => {
      await fc.assert(
        fc.asyncProperty(
          jsonBody,
          contentType,
          authorization,
          pathParam,
          fc.string(),
          async (body, type, auth, param, query) => {
            const before = forwarded();
            const path = `${route.path.replace(/:\w+/g, param)}?q=${encodeURIComponent(query)}`;
            const verb = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
            let call = request(app.getHttpServer())[verb](path).set('content-type', type);
            if (auth !== undefined) call = call.set('authorization', auth);
            const res = route.method === 'GET' ? await call : await call.send(body);
            expect(res.status).toBeLessThan(500);
            if (res.status >= 400) {
              expect(typeof res.body.error?.code).toBe('string');
              expect(forwarded()).toBe(before);
            }
          },
        ),
        { numRuns: RUNS },
      );
    },
  );
});
