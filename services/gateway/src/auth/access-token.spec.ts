import { createHmac } from 'node:crypto';
import {
  InvalidTokenError,
  signAccessToken,
  verifyAccessToken,
  type AccessTokenClaims,
} from './access-token';

const SECRET = 'test-only-secret-with-at-least-32-characters';
const ISSUER = 'rewards-platform';
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const USER_ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

const claims = (overrides: Partial<Record<keyof AccessTokenClaims, unknown>> = {}) => ({
  sub: USER_ID,
  roles: ['student'],
  iss: ISSUER,
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

const verify = (token: string, nowSeconds = NOW) =>
  verifyAccessToken(token, { secret: SECRET, issuer: ISSUER, nowSeconds });

const refusal = (token: string, nowSeconds = NOW): string => {
  try {
    verify(token, nowSeconds);
  } catch (err) {
    if (err instanceof InvalidTokenError) return err.message;
    throw err;
  }
  throw new Error('token was accepted');
};

describe(verifyAccessToken.name, () => {
  it('returns the claims of a good token', () => {
    const token = signAccessToken(
      claims({ roles: ['instructor', 'admin'] }) as AccessTokenClaims,
      SECRET,
    );
    expect(verify(token)).toEqual(claims({ roles: ['instructor', 'admin'] }));
  });

  it('accepts a token made by another HS256 implementation', () => {
    expect(verify(rawToken({ typ: 'JWT', alg: 'HS256' }, claims())).sub).toBe(USER_ID);
  });

  it('refuses an expired token', () => {
    const token = signAccessToken(claims() as AccessTokenClaims, SECRET);
    expect(refusal(token, NOW + 600)).toBe('token has expired');
  });

  it('refuses a token without exp', () => {
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ exp: undefined })))).toBe(
      'token has no expiry (exp)',
    );
  });

  it('refuses a token before its nbf', () => {
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ nbf: NOW + 60 })))).toBe(
      'token is not valid yet',
    );
    expect(verify(rawToken({ alg: 'HS256' }, claims({ nbf: NOW }))).nbf).toBe(NOW);
  });

  it('refuses a token signed with another secret', () => {
    const token = rawToken({ alg: 'HS256' }, claims(), 'another-secret-of-at-least-32-characters!');
    expect(refusal(token)).toBe('token signature is invalid');
  });

  it('refuses a token whose payload was changed after signing', () => {
    const [header, , sig] = signAccessToken(claims() as AccessTokenClaims, SECRET).split('.');
    expect(refusal(`${header}.${b64(claims({ roles: ['admin'] }))}.${sig}`)).toBe(
      'token signature is invalid',
    );
  });

  it("refuses alg 'none' with or without a signature", () => {
    const unsigned = `${b64({ alg: 'none' })}.${b64(claims())}.`;
    expect(refusal(unsigned)).toBe('token algorithm must be HS256');
    expect(refusal(rawToken({ alg: 'none' }, claims()))).toBe('token algorithm must be HS256');
  });

  it('refuses another algorithm even when the MAC is right for it', () => {
    expect(refusal(rawToken({ alg: 'HS512' }, claims(), SECRET, 'sha512'))).toBe(
      'token algorithm must be HS256',
    );
  });

  it('refuses critical header extensions it does not understand', () => {
    expect(refusal(rawToken({ alg: 'HS256', crit: ['b64'], b64: false }, claims()))).toBe(
      'token has unsupported critical headers',
    );
  });

  it('refuses a token from another issuer', () => {
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ iss: 'someone-else' })))).toBe(
      'token issuer is not accepted',
    );
  });

  it('refuses a token without sub or with a sub that is not a uuid', () => {
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ sub: undefined })))).toBe(
      'token subject (sub) must be a user id (uuid)',
    );
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ sub: 'admin' })))).toBe(
      'token subject (sub) must be a user id (uuid)',
    );
  });

  it('refuses unknown roles and a missing role list', () => {
    const message = 'token roles must be a list of student, instructor, admin';
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ roles: ['superuser'] })))).toBe(message);
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ roles: 'admin' })))).toBe(message);
  });

  it('refuses a token without iat', () => {
    expect(refusal(rawToken({ alg: 'HS256' }, claims({ iat: undefined })))).toBe(
      'token has no issue time (iat)',
    );
  });

  it('refuses malformed tokens', () => {
    const good = signAccessToken(claims() as AccessTokenClaims, SECRET);
    for (const token of [
      '',
      'abc',
      `${good}.extra`,
      `!!.${good.split('.')[1]}.x`,
      `${b64([1])}.e30.x`,
    ]) {
      expect(refusal(token)).toBe('token is malformed');
    }
  });
});
