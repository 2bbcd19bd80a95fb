import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  startFakeUpstream,
  startGateway,
  testConfig,
  tokenFor,
  type FakeUpstream,
} from '../../test/gateway-test-app';
import { RouteRateLimit } from './route-rate-limit';

const ALICE = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const BOB = '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d';

describe(RouteRateLimit.name, () => {
  let upstream: FakeUpstream;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    app = await startGateway(
      testConfig({
        BOOKINGS_URL: upstream.url,
        REFERRALS_URL: upstream.url,
        WALLET_URL: upstream.url,
        PAYOUTS_URL: upstream.url,
        RATE_LIMIT_PUBLIC_PER_MINUTE: '3',
        RATE_LIMIT_USER_PER_MINUTE: '2',
      }),
    );
  });
  afterAll(async () => {
    await app.close();
    await upstream.close();
  });

  it('limits a public route per client IP: 429 RATE_LIMITED with Retry-After', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await http().get('/referrals/founding-status').expect(200);
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const forwardedBefore = upstream.received.length;
    const res = await http().get('/referrals/founding-status').expect(429);
    expect(res.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(20);
    expect(upstream.received.length).toBe(forwardedBefore);
  });

  it('limits signed-in routes per user, each route in its own bucket', async () => {
    const as = (user: string) => `Bearer ${tokenFor(user, ['student'])}`;
    await http().get('/wallet/me').set('authorization', as(ALICE)).expect(200);
    await http().get('/wallet/me').set('authorization', as(ALICE)).expect(200);
    await http().get('/wallet/me').set('authorization', as(ALICE)).expect(429);
    // Another user, or another route, is not affected.
    await http().get('/wallet/me').set('authorization', as(BOB)).expect(200);
    await http().get('/payouts/me').set('authorization', as(ALICE)).expect(200);
  });

  it('applies the limit the route table gives a route', async () => {
    const res = await http()
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .send('{"id":"evt_1"}');
    expect(res.headers['ratelimit-limit']).toBe('600');
  });

  it('does not count a request refused before it (401)', async () => {
    const user = 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b';
    await http().get('/referrals/me').expect(401);
    await http().get('/referrals/me').expect(401);
    await http().get('/referrals/me').expect(401);
    await http()
      .get('/referrals/me')
      .set('authorization', `Bearer ${tokenFor(user, ['instructor'])}`)
      .expect(200);
  });
});
