import { ManualClock, PlatformError } from '@rewards/service-kit';
import * as accessToken from './access-token';
import { TokenService } from './token.service';

const USER_ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

function setup() {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00.000Z'));
  const tokens = new TokenService(
    { secret: 'test-only-secret-with-at-least-32-characters' },
    {
      issuer: 'rewards-platform',
      audience: 'rewards-api',
      maxLifetimeSeconds: 3600,
      clockSkewSeconds: 0,
    },
    clock,
  );
  return { clock, tokens };
}

const refusal = async (fn: () => Promise<unknown>): Promise<PlatformError> => {
  try {
    await fn();
  } catch (err) {
    if (err instanceof PlatformError) return err;
    throw err;
  }
  throw new Error('was accepted');
};

describe(TokenService.name, () => {
  it('verifies the tokens it issues until they expire', async () => {
    const { clock, tokens } = setup();
    const { token, expiresAt } = tokens.issue({
      userId: USER_ID,
      roles: ['instructor'],
      ttlSeconds: 60,
    });

    expect(expiresAt.toISOString()).toBe('2026-01-01T00:01:00.000Z');
    expect(await tokens.verifyAuthorizationHeader(`Bearer ${token}`)).toEqual({
      userId: USER_ID,
      roles: ['instructor'],
    });

    clock.advance(60_000);
    const err = await refusal(() => tokens.verify(token));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toBe('token has expired');
  });

  it('refuses a missing or non-bearer Authorization header with UNAUTHENTICATED', async () => {
    const { tokens } = setup();
    expect(
      (await refusal(async () => tokens.verifyAuthorizationHeader(undefined))).message,
    ).toMatch(/sign in first/);
    expect(
      (await refusal(async () => tokens.verifyAuthorizationHeader('Basic dXNlcjpwYXNz'))).message,
    ).toBe('Authorization header must be Bearer <token>');
    expect((await refusal(() => tokens.verifyAuthorizationHeader('Bearer not-a-jwt'))).code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('verifies an accepted token once, then answers it from memory for 30 s at most', async () => {
    const { clock, tokens } = setup();
    const { token } = tokens.issue({ userId: USER_ID, roles: ['student'], ttlSeconds: 3600 });
    const checks = jest.spyOn(accessToken, 'verifyAccessToken');
    try {
      await tokens.verify(token);
      clock.advance(29_999);
      expect((await tokens.verify(token)).userId).toBe(USER_ID);
      expect(checks).toHaveBeenCalledTimes(1);
      clock.advance(1);
      expect((await tokens.verify(token)).userId).toBe(USER_ID);
      expect(checks).toHaveBeenCalledTimes(2);
    } finally {
      checks.mockRestore();
    }
  });

  it('never remembers a refused token: it is checked again each time', async () => {
    const { clock, tokens } = setup();
    // Issued one minute ahead of the verifier's clock: refused until that clock gets there.
    clock.advance(60_000);
    const { token } = tokens.issue({ userId: USER_ID, roles: ['student'], ttlSeconds: 120 });
    clock.advance(-60_000);
    const checks = jest.spyOn(accessToken, 'verifyAccessToken');
    try {
      expect((await refusal(() => tokens.verify(token))).message).toBe(
        'token is issued in the future',
      );
      expect((await refusal(() => tokens.verify(token))).message).toBe(
        'token is issued in the future',
      );
      expect(checks).toHaveBeenCalledTimes(2);
      clock.advance(60_000);
      expect((await tokens.verify(token)).userId).toBe(USER_ID);
    } finally {
      checks.mockRestore();
    }
  });
});
