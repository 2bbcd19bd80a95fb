import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  startFakeUpstream,
  startGateway,
  testConfig,
  type FakeUpstream,
} from '../../test/gateway-test-app';
import { EdgeHeadersMiddleware } from './edge-headers.middleware';

const WEB = 'https://app.example.com';

describe(EdgeHeadersMiddleware.name, () => {
  let upstream: FakeUpstream;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    app = await startGateway(
      testConfig({ REFERRALS_URL: upstream.url, CORS_ORIGINS: `${WEB}, http://localhost:5173` }),
    );
  });
  afterAll(async () => {
    await app.close();
    await upstream.close();
  });

  it('answers a preflight from a configured origin', async () => {
    const res = await http()
      .options('/bookings')
      .set('origin', WEB)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization, content-type')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(WEB);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toContain('authorization');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(upstream.received).toHaveLength(0);
  });

  it('gives no CORS headers to another origin', async () => {
    const preflight = await http()
      .options('/bookings')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'POST')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const res = await http()
      .get('/referrals/founding-status')
      .set('origin', 'https://evil.example');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets a configured origin read the answer and its request id', async () => {
    const res = await http().get('/referrals/founding-status').set('origin', WEB).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(WEB);
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(res.headers.vary).toContain('Origin');
  });

  it('sends security headers on every answer, errors and unknown routes included', async () => {
    for (const res of [
      await http().get('/referrals/founding-status'),
      await http().get('/nowhere'),
      await http().get('/wallet/me'),
    ]) {
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
