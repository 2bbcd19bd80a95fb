import { createHmac } from 'node:crypto';
import {
  InvalidTokenError,
  signAccessToken,
  verifyAccessToken,
  type AccessTokenClaims,
  type TokenPolicy,
} from './access-token';

const SECRET = 'test-only-secret-with-at-least-32-characters';
const ISSUER = 'rewards-platform';
const AUDIENCE = 'rewards-api';
const POLICY: TokenPolicy = {
  issuer: ISSUER,
  audience: AUDIENCE,
  maxLifetimeSeconds: 3600,
  clockSkewSeconds: 0,
};
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const USER_ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

const claims = (overrides: Partial<Record<keyof AccessTokenClaims, unknown>> = {}) => ({
  sub: USER_ID,
  roles: ['student'],
  iss: ISSUER,
  aud: AUDIENCE,
  iat: NOW - 10,
  exp: NOW + 600,
  ...overrides,
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs any header and payload, so tests can build tokens the gateway must refuse. */
function rawToken(header: object, payload: object, secret = SECRET, algorithm = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(algorithm, secret).update(input).digest('base64url')}`;
}

const verify = (token: string, nowSeconds = NOW, policy = POLICY) =>
  verifyAccessToken(token, { keys: { secret: SECRET }, policy, nowSeconds });

const refusal = async (token: string, nowSeconds = NOW, policy = POLICY): Promise<string> => {
  try {
    await verify(token, nowSeconds, policy);
  } catch (err) {
    if (err instanceof InvalidTokenError) return err.message;
    throw err;
  }
  throw new Error('token was accepted');
};

describe(verifyAccessToken.name, () => {
  it('returns the claims of a good token', async () => {
    const token = signAccessToken(
      claims({ roles: ['instructor', 'admin'] }) as AccessTokenClaims,
      SECRET,
    );
    expect(await verify(token)).toEqual(claims({ roles: ['instructor', 'admin'] }));
  });

  it('accepts a token made by another HS256 implementation', async () => {
    expect((await verify(rawToken({ typ: 'JWT', alg: 'HS256' }, claims()))).sub).toBe(USER_ID);
  });

  it('refuses an expired token', async () => {
    const token = signAccessToken(claims() as AccessTokenClaims, SECRET);
    expect(await refusal(token, NOW + 600)).toBe('token has expired');
  });

  it('refuses a token without exp', async () => {
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ exp: undefined })))).toBe(
      'token has no expiry (exp)',
    );
  });

  it('refuses a token before its nbf', async () => {
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ nbf: NOW + 60 })))).toBe(
      'token is not valid yet',
    );
    expect((await verify(rawToken({ alg: 'HS256' }, claims({ nbf: NOW })))).nbf).toBe(NOW);
  });

  it('refuses a token signed with another secret', async () => {
    const token = rawToken({ alg: 'HS256' }, claims(), 'another-secret-of-at-least-32-characters!');
    expect(await refusal(token)).toBe('token signature is invalid');
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , sig] = signAccessToken(claims() as AccessTokenClaims, SECRET).split('.');
    expect(await refusal(`${header}.${b64(claims({ roles: ['admin'] }))}.${sig}`)).toBe(
      'token signature is invalid',
    );
  });

  it("refuses alg 'none' with or without a signature", async () => {
    const unsigned = `${b64({ alg: 'none' })}.${b64(claims())}.`;
    expect(await refusal(unsigned)).toBe('token signature is invalid');
    expect(await refusal(rawToken({ alg: 'none' }, claims()))).toBe(
      'token algorithm must be HS256',
    );
  });

  it('refuses another algorithm even when the MAC is right for it', async () => {
    expect(await refusal(rawToken({ alg: 'HS512' }, claims(), SECRET, 'sha512'))).toBe(
      'token algorithm must be HS256',
    );
  });

  it('refuses critical header extensions it does not understand', async () => {
    expect(await refusal(rawToken({ alg: 'HS256', crit: ['b64'], b64: false }, claims()))).toBe(
      'token has unsupported critical headers',
    );
  });

  it('refuses a token from another issuer', async () => {
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ iss: 'someone-else' })))).toBe(
      'token issuer is not accepted',
    );
  });

  it('refuses a token without sub or with a sub that is not a uuid', async () => {
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ sub: undefined })))).toBe(
      'token subject (sub) must be a user id (uuid)',
    );
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ sub: 'admin' })))).toBe(
      'token subject (sub) must be a user id (uuid)',
    );
  });

  it('refuses unknown roles and a missing role list', async () => {
    const message = 'token roles must be a list of student, instructor, admin';
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ roles: ['superuser'] })))).toBe(
      message,
    );
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ roles: 'admin' })))).toBe(message);
  });

  it('refuses a token without iat', async () => {
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ iat: undefined })))).toBe(
      'token has no issue time (iat)',
    );
  });

  it('refuses a token for another audience, or none', async () => {
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ aud: 'another-api' })))).toBe(
      'token audience is not accepted',
    );
    expect(await refusal(rawToken({ alg: 'HS256' }, claims({ aud: undefined })))).toBe(
      'token audience is not accepted',
    );
    expect((await verify(rawToken({ alg: 'HS256' }, claims({ aud: ['x', AUDIENCE] })))).sub).toBe(
      USER_ID,
    );
  });

  it('refuses a token issued in the future, beyond the clock skew', async () => {
    const future = rawToken({ alg: 'HS256' }, claims({ iat: NOW + 60, exp: NOW + 600 }));
    expect(await refusal(future)).toBe('token is issued in the future');
    expect((await verify(future, NOW, { ...POLICY, clockSkewSeconds: 60 })).iat).toBe(NOW + 60);
  });

  it('refuses a token that lives longer than the maximum lifetime', async () => {
    const long = rawToken({ alg: 'HS256' }, claims({ iat: NOW, exp: NOW + 3601 }));
    expect(await refusal(long)).toBe('token lives longer than 3600 s');
    const exact = rawToken({ alg: 'HS256' }, claims({ iat: NOW, exp: NOW + 3600 }));
    expect((await verify(exact)).exp).toBe(NOW + 3600);
  });

  it('accepts an expired token only within the clock skew', async () => {
    const token = signAccessToken(claims() as AccessTokenClaims, SECRET);
    const skew = { ...POLICY, clockSkewSeconds: 30 };
    expect((await verify(token, NOW + 629, skew)).sub).toBe(USER_ID);
    expect(await refusal(token, NOW + 630, skew)).toBe('token has expired');
  });

  it('refuses RS256 and ES256 when no key set is configured', async () => {
    expect(await refusal(rawToken({ alg: 'RS256', kid: 'k' }, claims()))).toBe(
      'token algorithm must be HS256',
    );
  });

  it('refuses malformed tokens', async () => {
    const good = signAccessToken(claims() as AccessTokenClaims, SECRET);
    for (const token of [
      '',
      'abc',
      `${good}.extra`,
      `!!.${good.split('.')[1]}.x`,
      `${b64([1])}.e30.x`,
    ]) {
      expect(await refusal(token)).toBe('token is malformed');
    }
  });
});
