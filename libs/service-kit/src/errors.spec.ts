import {
  Controller,
  Get,
  INestApplication,
  NotFoundException,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DatabaseError } from 'pg';
import request from 'supertest';
import { QueryFailedError } from 'typeorm';
import { configureHttp } from './bootstrap';
import { ErrorFilter, MappedError, PlatformError } from './errors';
import { createTestApp, HTTP_PLATFORMS, initTestApp } from './test-http-app';

class ShopError extends Error {
  readonly code = 'SOLD_OUT';
}

function pgError(code: string, message: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = code;
  return err;
}

/** What each route throws: the filter's inputs, as handlers really raise them. */
const THROWN: Record<string, () => unknown> = {
  'admin-shutdown': () =>
    new QueryFailedError(
      'SELECT * FROM payouts WHERE id = $1',
      ['secret-id'],
      pgError('57P01', 'terminating connection due to administrator command'),
    ),
  'too-many-clients': () => pgError('53300', 'too many connections for role "svc_payouts"'),
  'connection-refused': () =>
    Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' }),
  'pool-timeout': () => new Error('timeout exceeded when trying to connect'),
  'unique-violation': () =>
    new QueryFailedError(
      'INSERT INTO payouts',
      [],
      pgError('23505', 'duplicate key value violates unique constraint "payouts_pkey"'),
    ),
  'domain-error': () => new ShopError('nothing left'),
  'upstream-unavailable': () => new PlatformError('UPSTREAM_UNAVAILABLE', 'wallet is unavailable'),
  'nest-503': () => new ServiceUnavailableException('pool exhausted at 10.0.0.7'),
  'nest-404': () => new NotFoundException(),
  bug: () => new TypeError("Cannot read properties of undefined (reading 'id')"),
};

@Controller('throw')
class ThrowingController {
  @Get(':what')
  throw(@Param('what') what: string): never {
    throw THROWN[what]();
  }
}

const mapShopError = (err: unknown): MappedError | undefined =>
  err instanceof ShopError ? { status: 409, code: err.code, message: err.message } : undefined;

describe.each(HTTP_PLATFORMS)(`${ErrorFilter.name} on %s`, (platform) => {
  let app: INestApplication;
  const get = (what: string) => request(app.getHttpServer()).get(`/throw/${what}`);

  beforeAll(async () => {
    const ref = await Test.createTestingModule({ controllers: [ThrowingController] }).compile();
    app = createTestApp(ref, platform);
    configureHttp(app, mapShopError);
    await initTestApp(app);
  });

  afterAll(() => app.close());

  it.each(['admin-shutdown', 'too-many-clients', 'connection-refused', 'pool-timeout'])(
    'answers 503 SERVICE_UNAVAILABLE with Retry-After and no internals for %s',
    async (what) => {
      const res = await get(what);

      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({
        error: {
          requestId: expect.any(String),
          code: 'SERVICE_UNAVAILABLE',
          message: 'the service is temporarily unavailable; retry later',
        },
      });
      expect(res.text).not.toMatch(/payouts|10\.0\.0\.7|secret|terminat|ECONN|timeout/i);
    },
  );

  it('answers 500 INTERNAL without Retry-After for a unique violation', async () => {
    const res = await get('unique-violation');

    expect(res.status).toBe(500);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toEqual({
      error: { requestId: expect.any(String), code: 'INTERNAL', message: 'internal error' },
    });
  });

  it('answers 500 INTERNAL for a bug', async () => {
    const res = await get('bug');

    expect([res.status, res.body.error.code]).toEqual([500, 'INTERNAL']);
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it("leaves a domain error to the service's mapper", async () => {
    const res = await get('domain-error');

    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: { requestId: expect.any(String), code: 'SOLD_OUT', message: 'nothing left' },
    });
  });

  it('sends Retry-After with the platform 503 UPSTREAM_UNAVAILABLE', async () => {
    const res = await get('upstream-unavailable');

    expect([res.status, res.headers['retry-after']]).toEqual([503, '5']);
    expect(res.body.error).toEqual({
      requestId: expect.any(String),
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'wallet is unavailable',
    });
  });

  it("maps Nest's 503 to SERVICE_UNAVAILABLE without its message", async () => {
    const res = await get('nest-503');

    expect([res.status, res.body.error.code, res.headers['retry-after']]).toEqual([
      503,
      'SERVICE_UNAVAILABLE',
      '5',
    ]);
    expect(res.text).not.toContain('10.0.0.7');
  });

  it('keeps a 404 a ROUTE_NOT_FOUND', async () => {
    const res = await get('nest-404');

    expect([res.status, res.body.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });
});
