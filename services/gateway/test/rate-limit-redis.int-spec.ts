import type { INestApplication } from '@nestjs/common';
import { errorOf } from '@rewards/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  startFakeUpstream,
  startGateway,
  testConfig,
  tokenFor,
  type FakeUpstream,
} from './gateway-test-app';
import { findRedis, startRedis, type RunningRedis } from './redis-for-tests';

const target = findRedis();
if (target.kind === 'none') {
  console.warn(`SKIPPED rate limits across gateway replicas: ${target.reason}`);
}
const describeWithRedis = target.kind === 'none' ? describe.skip : describe;

describeWithRedis('rate limits across two gateway instances sharing Redis', () => {
  let redis: RunningRedis;
  let upstream: FakeUpstream;
  const gateways: INestApplication[] = [];
  const gw = (i: number) => request(gateways[i].getHttpServer());

  beforeAll(async () => {
    redis = await startRedis(target);
    upstream = await startFakeUpstream();
    const config = testConfig({
      BOOKINGS_URL: upstream.url,
      REFERRALS_URL: upstream.url,
      WALLET_URL: upstream.url,
      PAYOUTS_URL: upstream.url,
      REDIS_URL: redis.url,
      // Fresh keys each run: a shared Redis may still hold a previous run's buckets.
      RATE_LIMIT_KEY_PREFIX: `test:${randomUUID()}:`,
      RATE_LIMIT_PUBLIC_PER_MINUTE: '4',
      RATE_LIMIT_USER_PER_MINUTE: '3',
    });
    gateways.push(await startGateway(config), await startGateway(config));
  });

  afterAll(async () => {
    await Promise.all(gateways.map((app) => app.close()));
    await upstream?.close();
    await redis?.stop?.();
  });

  it('shares a public route per-IP bucket: the fifth call, on either replica, gets 429', async () => {
    for (const i of [0, 1, 0, 1]) await gw(i).get('/referrals/founding-status').expect(200);
    for (const i of [0, 1]) {
      const res = await gw(i).get('/referrals/founding-status').expect(429);
      expect(errorOf(res).code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
  });

  it('shares a user bucket across replicas, and keeps users apart', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const as = (user: string) => `Bearer ${tokenFor(user, ['student'])}`;
    for (const i of [0, 1, 1])
      await gw(i).get('/wallet/me').set('authorization', as(alice)).expect(200);
    await gw(0).get('/wallet/me').set('authorization', as(alice)).expect(429);
    await gw(1).get('/wallet/me').set('authorization', as(bob)).expect(200);
  });

  it('keeps serving, limited per replica, when Redis goes away', async () => {
    if (!redis.stop) return; // a Redis we were given is not ours to stop
    await redis.stop();
    const carol = randomUUID();
    const as = `Bearer ${tokenFor(carol, ['student'])}`;
    for (let i = 0; i < 3; i += 1)
      await gw(0).get('/payouts/me').set('authorization', as).expect(200);
    await gw(0).get('/payouts/me').set('authorization', as).expect(429);
    await gw(1).get('/payouts/me').set('authorization', as).expect(200);
  });
});
