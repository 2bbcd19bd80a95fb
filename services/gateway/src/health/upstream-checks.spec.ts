import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  startFakeUpstream,
  startGateway,
  testConfig,
  unusedUrl,
  type FakeUpstream,
} from '../../test/gateway-test-app';
import { upstreamChecks } from './upstream-checks';

describe(upstreamChecks.name, () => {
  let live: FakeUpstream;
  let app: INestApplication;

  beforeAll(async () => {
    live = await startFakeUpstream();
    app = await startGateway(
      testConfig({
        BOOKINGS_URL: live.url,
        REFERRALS_URL: live.url,
        WALLET_URL: live.url,
        PAYOUTS_URL: await unusedUrl(),
      }),
    );
  });

  afterAll(async () => {
    await app.close();
    await live.close();
  });

  it('keeps /health/live up whatever the upstreams do', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
  });

  it('stays ready while an upstream is down, and names it', async () => {
    const res = await request(app.getHttpServer()).get('/health/ready');

    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks).toEqual([
      { name: 'bookings', status: 'up' },
      { name: 'referrals', status: 'up' },
      { name: 'wallet', status: 'up' },
      {
        name: 'payouts',
        status: 'down',
        required: false,
        error: expect.stringMatching(/ECONNREFUSED/),
      },
    ]);
    expect(live.received.map((r) => `${r.method} ${r.url}`)).toEqual(
      Array(3).fill('GET /health/live'),
    );
  });

  it('is ready when every upstream answers /health/live', async () => {
    const checks = upstreamChecks({
      bookings: live.url,
      referrals: live.url,
      wallet: live.url,
      payouts: `${live.url}/`,
    });
    await Promise.all(checks.map((c) => c.check()));
  });

  it('counts an upstream that answers with an error as down', async () => {
    live.reply = { status: 503, body: '{}' };
    const [bookings] = upstreamChecks({
      bookings: live.url,
      referrals: live.url,
      wallet: live.url,
      payouts: live.url,
    });
    await expect(bookings.check()).rejects.toThrow(/answered 503/);
  });
});
