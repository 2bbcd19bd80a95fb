import { Controller, Get, INestApplication, Module, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { configureHttp, withMetrics } from '../bootstrap';
import { PlatformError, PlatformErrorCode } from '../errors';
import { createTestApp, HTTP_PLATFORMS, initTestApp } from '../test-http-app';
import { ServiceMetrics } from './service-metrics';

@Controller('things')
class ThingsController {
  @Get(':code')
  refuse(@Param('code') code: string): { ok: true } {
    if (code === 'ok') return { ok: true };
    if (code === 'BUG') throw new TypeError('boom');
    throw new PlatformError(code as PlatformErrorCode, 'refused');
  }
}

@Module({ controllers: [ThingsController] })
class AppModule {}

describe.each(HTTP_PLATFORMS)('HTTP refusal metrics on %s', (platform) => {
  let app: INestApplication;
  let metricsUrl: string;

  beforeAll(async () => {
    const ref = await Test.createTestingModule({
      imports: [withMetrics({ module: AppModule })],
    }).compile();
    app = createTestApp(ref, platform);
    configureHttp(app);
    await initTestApp(app);
    metricsUrl = await app.get(ServiceMetrics).listen(0, '127.0.0.1');
  });

  afterAll(() => app.close());

  const count = async (series: string): Promise<number> => {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const refused = (status: number, code: string, route = '/things/:code') =>
    `http_requests_refused_total{route="${route}",status="${status}",code="${code}"}`;

  it.each([
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [422, 'VALIDATION_FAILED'],
    [429, 'RATE_LIMITED'],
    [503, 'SERVICE_UNAVAILABLE'],
  ])('counts a %i by its code %s on /metrics', async (status, code) => {
    const before = await count(refused(status, code));
    const res = await request(app.getHttpServer()).get(`/things/${code}`).expect(status);
    expect(res.body.error).toMatchObject({ code });
    expect(await count(refused(status, code))).toBe(before + 1);
  });

  it('counts a 500 as INTERNAL, an unknown path as unmatched, and no success', async () => {
    await request(app.getHttpServer()).get('/things/BUG').expect(500);
    await request(app.getHttpServer()).get('/nowhere').expect(404);
    await request(app.getHttpServer()).get('/things/ok').expect(200);

    expect(await count(refused(500, 'INTERNAL'))).toBe(1);
    expect(await count(refused(404, 'ROUTE_NOT_FOUND', 'unmatched'))).toBe(1);
    const text = await (await fetch(metricsUrl)).text();
    expect(text).not.toMatch(/^http_requests_refused_total\{[^}]*status="200"/m);
  });
});
