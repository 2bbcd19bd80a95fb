import { Controller, Get, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  Caller,
  callerFromClaims,
  InternalCallers,
  InternalIdentityGuard,
  serviceCallHeaders,
  type CallerIdentity,
} from './caller';
import { ErrorFilter, PlatformError } from './errors';
import { INTERNAL_TOKEN_HEADER, signInternalToken } from './internal-token';

const KEY = 'internal-key-for-tests-at-least-32-chars';
const USER = '0b0c1a52-7c0b-4a56-9f7d-3c5b8e0b9e01';

@Controller()
class ProbeController {
  @Get('me')
  me(@Caller() caller: CallerIdentity): CallerIdentity {
    return caller;
  }

  @Get('instructors-only')
  instructors(@Caller(['instructor']) caller: CallerIdentity): CallerIdentity {
    return caller;
  }

  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('internal/thing')
  @InternalCallers('payouts')
  internal(): { ok: true } {
    return { ok: true };
  }
}

const asUser = (roles: string[], aud = 'bookings', key = KEY) => ({
  [INTERNAL_TOKEN_HEADER]: signInternalToken(
    { iss: 'gateway', aud, usr: { id: USER, roles } },
    key,
  ),
});

describe(InternalIdentityGuard.name, () => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    const ref = await Test.createTestingModule({
      controllers: [ProbeController],
      providers: [
        {
          provide: APP_GUARD,
          useValue: new InternalIdentityGuard({ service: 'bookings', key: KEY }),
        },
      ],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    app.useGlobalFilters(new ErrorFilter());
    await app.init();
  });
  afterAll(() => app.close());

  it('gives the caller the gateway signed for this service', async () => {
    const res = await http()
      .get('/me')
      .set(asUser(['student', 'root']))
      .expect(200);
    expect(res.body).toEqual({ userId: USER, roles: ['student'] });
  });

  it('refuses forged x-user-* headers with 401', async () => {
    const res = await http()
      .get('/me')
      .set({ 'x-user-id': USER, 'x-user-roles': 'admin' })
      .expect(401);
    expect(res.body.error).toEqual({
      requestId: expect.any(String),
      code: 'UNAUTHENTICATED',
      message: 'sign in first',
    });
  });

  it('refuses a token signed with another key or for another service, even on a public route', async () => {
    for (const headers of [
      asUser(['student'], 'bookings', `${KEY}!`),
      asUser(['student'], 'wallet'),
    ]) {
      expect((await http().get('/public').set(headers)).status).toBe(401);
      expect((await http().get('/me').set(headers)).status).toBe(401);
    }
    await http().get('/public').expect(200);
  });

  it('checks roles: 403 without one of them', async () => {
    await http()
      .get('/instructors-only')
      .set(asUser(['student']))
      .expect(403);
    await http()
      .get('/instructors-only')
      .set(asUser(['instructor']))
      .expect(200);
  });

  it('opens internal routes to the named services calling as themselves only', async () => {
    const asPayouts = serviceCallHeaders({ from: 'payouts', to: 'bookings', key: KEY });
    await http().get('/internal/thing').set(asPayouts).expect(200);
    await http()
      .get('/internal/thing')
      .set(serviceCallHeaders({ from: 'wallet', to: 'bookings', key: KEY }))
      .expect(403);
    // A user's call relayed by the gateway is not a service's.
    await http()
      .get('/internal/thing')
      .set(asUser(['admin']))
      .expect(403);
    await http().get('/internal/thing').expect(401);
    await http()
      .get('/internal/thing')
      .set({ 'x-user-id': USER, 'x-user-roles': 'admin' })
      .expect(401);
  });
});

describe(callerFromClaims.name, () => {
  it('finds no user in a service-to-service token or one with a non-UUID id', () => {
    const base = { aud: 'x', iat: 0, exp: 60 };
    expect(callerFromClaims({ ...base, iss: 'payouts' })).toBeUndefined();
    expect(
      callerFromClaims({ ...base, iss: 'payouts', usr: { id: USER, roles: ['admin'] } }),
    ).toBeUndefined();
    expect(
      callerFromClaims({ ...base, iss: 'gateway', usr: { id: 'robert); drop', roles: [] } }),
    ).toBeUndefined();
  });
});

describe(`${InternalIdentityGuard.name}, a token seen again`, () => {
  const NOW = 1_767_225_600;
  const contextFor = (token: string) =>
    ({
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => ({ headers: { [INTERNAL_TOKEN_HEADER]: token } }) }),
    }) as unknown as ExecutionContext;
  const verdict = (guard: InternalIdentityGuard, token: string) => {
    try {
      return guard.canActivate(contextFor(token));
    } catch (err) {
      if (err instanceof PlatformError) return err.code;
      throw err;
    }
  };

  it('is accepted again within its second and refused once it has expired', () => {
    let now = NOW;
    const guard = new InternalIdentityGuard({
      service: 'bookings',
      key: KEY,
      nowSeconds: () => now,
    });
    const token = signInternalToken({ iss: 'gateway', aud: 'bookings' }, KEY, NOW);
    expect(verdict(guard, token)).toBe(true);
    expect(verdict(guard, token)).toBe(true);
    now = NOW + 60 + 30;
    expect(verdict(guard, token)).toBe('UNAUTHENTICATED');
  });

  it('refuses a token with a bad signature every time', () => {
    const guard = new InternalIdentityGuard({
      service: 'bookings',
      key: KEY,
      nowSeconds: () => NOW,
    });
    const forged = signInternalToken({ iss: 'gateway', aud: 'bookings' }, 'x'.repeat(40), NOW);
    expect(verdict(guard, forged)).toBe('UNAUTHENTICATED');
    expect(verdict(guard, forged)).toBe('UNAUTHENTICATED');
  });
});
