import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startGateway, testConfig } from '../../test/gateway-test-app';
import { DevTokenController } from './dev-token.controller';
import { TokenService } from './token.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(DevTokenController.name, () => {
  describe('when AUTH_DEV_TOKENS is off', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await startGateway(testConfig());
    });
    afterAll(() => app.close());

    it('does not exist: 404 ROUTE_NOT_FOUND', async () => {
      const res = await request(app.getHttpServer())
        .post('/auth/dev-token')
        .send({ role: 'admin' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        error: { requestId: expect.any(String), code: 'ROUTE_NOT_FOUND', message: 'no such route' },
      });
    });
  });

  describe('when AUTH_DEV_TOKENS and AUTH_DEV_TOKENS_ADMIN are on', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await startGateway(
        testConfig({ AUTH_DEV_TOKENS: 'true', AUTH_DEV_TOKENS_ADMIN: 'true' }),
      );
    });
    afterAll(() => app.close());

    it('mints an admin token', async () => {
      const res = await request(app.getHttpServer())
        .post('/auth/dev-token')
        .send({ role: 'admin' });
      expect(res.status).toBe(200);
      expect(res.body.roles).toEqual(['admin']);
    });
  });

  describe('when AUTH_DEV_TOKENS is on', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await startGateway(testConfig({ AUTH_DEV_TOKENS: 'true' }));
    });
    afterAll(() => app.close());

    const post = (body: unknown) =>
      request(app.getHttpServer())
        .post('/auth/dev-token')
        .send(body as object);

    it('mints a token for a fresh user that the gateway then accepts', async () => {
      const before = Date.now();
      const res = await post({ role: 'student' });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        token: expect.any(String),
        userId: expect.stringMatching(UUID),
        roles: ['student'],
        expiresAt: expect.any(String),
      });
      const ttl = Date.parse(res.body.expiresAt) - before;
      expect(ttl).toBeGreaterThan(3_590_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      expect(await app.get(TokenService).verify(res.body.token)).toEqual({
        userId: res.body.userId,
        roles: ['student'],
      });
    });

    it('signs in as the given user for the given time', async () => {
      const userId = '0b6f5a8e-2f4c-4a1e-9c3d-7e8f9a0b1c2d';
      const res = await post({ role: 'instructor', userId, ttlSeconds: 60 });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ userId, roles: ['instructor'] });
      expect(Date.parse(res.body.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    });

    it.each([
      [{ role: 'student', isAdmin: true }, 'isAdmin', "unknown field 'isAdmin'"],
      [{}, 'role', 'role must be one of the following values: student, instructor, admin'],
      [
        { role: 'root' },
        'role',
        'role must be one of the following values: student, instructor, admin',
      ],
      [{ role: 'admin', userId: 'me' }, 'userId', 'userId must be a UUID'],
      [{ role: 'admin', ttlSeconds: 59 }, 'ttlSeconds', 'ttlSeconds must not be less than 60'],
      [
        { role: 'admin', ttlSeconds: 86_401 },
        'ttlSeconds',
        'ttlSeconds must not be greater than 86400',
      ],
      [{ role: 'admin', ttlSeconds: 90.5 }, 'ttlSeconds', 'ttlSeconds must be an integer number'],
    ])('refuses %j with 422 on %s', async (body, field, message) => {
      const res = await post(body);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        error: { requestId: expect.any(String), code: 'VALIDATION_FAILED', message, field },
      });
    });

    it('never mints admin unless AUTH_DEV_TOKENS_ADMIN is on: 403', async () => {
      const res = await post({ role: 'admin' });
      expect(res.status).toBe(403);
      expect(res.body.error).toEqual({
        requestId: expect.any(String),
        code: 'FORBIDDEN',
        message: 'dev tokens do not carry the admin role unless AUTH_DEV_TOKENS_ADMIN=true',
      });
    });

    it('refuses a lifetime over JWT_MAX_LIFETIME_SECONDS with 422 on ttlSeconds', async () => {
      const res = await post({ role: 'student', ttlSeconds: 3601 });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'ttlSeconds' });
    });

    it('refuses malformed JSON with 400 MALFORMED_REQUEST', async () => {
      const res = await request(app.getHttpServer())
        .post('/auth/dev-token')
        .set('content-type', 'application/json')
        .send('{"role":');
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        requestId: expect.any(String),
        code: 'MALFORMED_REQUEST',
        message: expect.stringMatching(/JSON/),
      });
    });

    it('refuses a JSON body over 100kb with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await post({ role: 'student', padding: 'x'.repeat(100 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body.error).toEqual({
        requestId: expect.any(String),
        code: 'PAYLOAD_TOO_LARGE',
        message: 'request body is larger than 100kb',
      });
    });
  });
});
