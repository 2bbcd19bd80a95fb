import { createHmac } from 'node:crypto';
import {
  INTERNAL_TOKEN_TTL_SECONDS,
  InternalTokenError,
  InternalTokenSigner,
  signInternalToken,
  verifyInternalToken,
} from './internal-token';

const KEY = 'internal-key-for-tests-at-least-32-chars';
const NOW = 1_767_225_600;
const USER = { id: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f', roles: ['student'] };

const verify = (token: string, nowSeconds = NOW, audience = 'wallet') =>
  verifyInternalToken(token, { key: KEY, audience, nowSeconds });

function refusal(token: string, nowSeconds = NOW): string {
  try {
    verify(token, nowSeconds);
  } catch (err) {
    if (err instanceof InternalTokenError) return err.message;
    throw err;
  }
  throw new Error('token was accepted');
}

/** A token with any header and claims, signed with the key: what a buggy signer could send. */
function raw(header: object, claims: object, key = KEY): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

describe(verifyInternalToken.name, () => {
  it('returns the claims of a token signed for this service', () => {
    const token = signInternalToken({ iss: 'gateway', aud: 'wallet', usr: USER }, KEY, NOW);
    expect(verify(token)).toEqual({
      iss: 'gateway',
      aud: 'wallet',
      iat: NOW,
      exp: NOW + INTERNAL_TOKEN_TTL_SECONDS,
      usr: USER,
    });
  });

  it('refuses a token for another service', () => {
    const token = signInternalToken({ iss: 'gateway', aud: 'payouts', usr: USER }, KEY, NOW);
    expect(refusal(token)).toBe('internal token is not for wallet');
  });

  it('refuses a token signed with another key or changed after signing', () => {
    const other = signInternalToken({ iss: 'gateway', aud: 'wallet' }, `${KEY}-other`, NOW);
    expect(refusal(other)).toBe('internal token signature is invalid');
    const [h, , s] = signInternalToken(
      { iss: 'gateway', aud: 'wallet', usr: USER },
      KEY,
      NOW,
    ).split('.');
    const admin = Buffer.from(
      JSON.stringify({
        iss: 'gateway',
        aud: 'wallet',
        iat: NOW,
        exp: NOW + 60,
        usr: { ...USER, roles: ['admin'] },
      }),
    ).toString('base64url');
    expect(refusal(`${h}.${admin}.${s}`)).toBe('internal token signature is invalid');
  });

  it('refuses an expired token, one issued in the future and one that lives too long', () => {
    const token = signInternalToken({ iss: 'gateway', aud: 'wallet' }, KEY, NOW);
    expect(verify(token, NOW + 60 + 29).iss).toBe('gateway');
    expect(refusal(token, NOW + 60 + 30)).toBe('internal token has expired');
    expect(refusal(token, NOW - 31)).toBe('internal token is issued in the future');
    const header = { alg: 'HS256', typ: 'JWT' };
    expect(refusal(raw(header, { iss: 'gateway', aud: 'wallet', iat: NOW, exp: NOW + 3600 }))).toBe(
      'internal token lives too long',
    );
  });

  it("refuses any header but its own, alg 'none' included", () => {
    const claims = { iss: 'gateway', aud: 'wallet', iat: NOW, exp: NOW + 60 };
    expect(refusal(raw({ alg: 'none' }, claims))).toBe('internal token is malformed');
    expect(refusal(raw({ typ: 'JWT', alg: 'HS256' }, claims))).toBe('internal token is malformed');
    for (const junk of ['', 'a.b', 'a.b.c.d', '!.!.!']) {
      expect(refusal(junk)).toBe('internal token is malformed');
    }
  });

  it('refuses a malformed user', () => {
    const header = { alg: 'HS256', typ: 'JWT' };
    const claims = { iss: 'gateway', aud: 'wallet', iat: NOW, exp: NOW + 60, usr: { id: 7 } };
    expect(refusal(raw(header, claims))).toBe('internal token user is malformed');
  });
});

describe(InternalTokenSigner.name, () => {
  it('gives what signing gives, reusing a token only within its second and for the same claims', () => {
    let now = NOW;
    const signer = new InternalTokenSigner(KEY, () => now);
    const claims = { iss: 'gateway', aud: 'wallet', usr: USER };
    const first = signer.sign(claims);
    expect(first).toBe(signInternalToken(claims, KEY, NOW));
    expect(signer.sign({ ...claims })).toBe(first);
    expect(signer.sign({ iss: 'gateway', aud: 'wallet' })).toBe(
      signInternalToken({ iss: 'gateway', aud: 'wallet' }, KEY, NOW),
    );
    expect(signer.sign({ ...claims, usr: { ...USER, roles: ['student', 'admin'] } })).not.toBe(
      first,
    );
    expect(signer.sign({ ...claims, aud: 'payouts' })).not.toBe(first);
    now += 1;
    const next = signer.sign(claims);
    expect(next).toBe(signInternalToken(claims, KEY, NOW + 1));
    expect(verify(next, NOW + 1).iat).toBe(NOW + 1);
  });
});
