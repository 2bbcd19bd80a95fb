import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock, PlatformError } from '@rewards/service-kit';
import { InvalidTokenError, verifyAccessToken, type TokenPolicy } from './access-token';
import { JwksKeys, KeySetUnavailableError } from './jwks-keys';
import { TokenService } from './token.service';

const NOW = 1_767_225_600;
const USER_ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const POLICY: TokenPolicy = {
  issuer: 'https://id.example.test/',
  audience: 'rewards-api',
  maxLifetimeSeconds: 3600,
  clockSkewSeconds: 0,
};

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  jwk: object;
}

function rsaKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    alg: 'RS256',
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' },
  };
}

function ecKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid,
    alg: 'ES256',
    privateKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256' },
  };
}

function tokenSignedBy(key: SigningKey, header: object = {}): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })}.${b64({
    sub: USER_ID,
    roles: ['student'],
    iss: POLICY.issuer,
    aud: POLICY.audience,
    iat: NOW - 10,
    exp: NOW + 300,
  })}`;
  const signature = sign(
    'sha256',
    Buffer.from(input),
    key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey,
  );
  return `${input}.${signature.toString('base64url')}`;
}

describe(JwksKeys.name, () => {
  let server: Server;
  let url: string;
  let published: SigningKey[] = [];
  let down = false;
  let fetches = 0;
  let nowMs = NOW * 1000;
  const rsa1 = rsaKey('rsa-1');
  const rsa2 = rsaKey('rsa-2');
  const ec1 = ecKey('ec-1');

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches += 1;
      if (down) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    published = [rsa1, ec1];
    down = false;
    fetches = 0;
    nowMs = NOW * 1000;
  });

  const store = () =>
    new JwksKeys({ url, cacheSeconds: 600, minRefreshSeconds: 30, timeoutMs: 2000 }, () => nowMs);
  const verify = (jwks: JwksKeys, token: string) =>
    verifyAccessToken(token, {
      keys: { publicKey: (kid, alg) => jwks.keyFor(kid, alg) },
      policy: POLICY,
      nowSeconds: NOW,
    });
  const refusal = async (jwks: JwksKeys, token: string): Promise<string> => {
    try {
      await verify(jwks, token);
    } catch (err) {
      if (err instanceof InvalidTokenError) return err.message;
      throw err;
    }
    throw new Error('token was accepted');
  };

  it('verifies RS256 and ES256 tokens with keys fetched once and cached', async () => {
    const jwks = store();
    expect((await verify(jwks, tokenSignedBy(rsa1))).sub).toBe(USER_ID);
    expect((await verify(jwks, tokenSignedBy(ec1))).sub).toBe(USER_ID);
    expect(fetches).toBe(1);
    nowMs += 600_000;
    await verify(jwks, tokenSignedBy(rsa1));
    expect(fetches).toBe(2);
  });

  it('follows a key rotation at the first token naming the new key', async () => {
    const jwks = store();
    await verify(jwks, tokenSignedBy(rsa1));
    published = [rsa2];
    nowMs += 30_000;
    expect((await verify(jwks, tokenSignedBy(rsa2))).sub).toBe(USER_ID);
    // The retired key went with the refetch.
    expect(await refusal(jwks, tokenSignedBy(rsa1))).toBe('token key (kid) is not known');
  });

  it('refetches for unknown kids at most once per minimum interval', async () => {
    const jwks = store();
    await verify(jwks, tokenSignedBy(rsa1));
    nowMs += 30_000;
    expect(await refusal(jwks, tokenSignedBy({ ...rsa1, kid: 'forged-1' }))).toBe(
      'token key (kid) is not known',
    );
    expect(await refusal(jwks, tokenSignedBy({ ...rsa1, kid: 'forged-2' }))).toBe(
      'token key (kid) is not known',
    );
    expect(fetches).toBe(2);
  });

  it('refuses a signature by another key under a known kid, and a key of the wrong type', async () => {
    const jwks = store();
    expect(await refusal(jwks, tokenSignedBy({ ...rsa2, kid: 'rsa-1' }))).toBe(
      'token signature is invalid',
    );
    expect(await refusal(jwks, tokenSignedBy({ ...rsa1, kid: 'ec-1' }))).toBe(
      'token key (kid) is not an RS256 key',
    );
    expect(await refusal(jwks, tokenSignedBy(ec1, { alg: 'HS256' }))).toBe(
      'token algorithm must be RS256, ES256',
    );
  });

  it('keeps using known keys while the provider is down, and is unavailable without any', async () => {
    const jwks = store();
    await verify(jwks, tokenSignedBy(rsa1));
    down = true;
    nowMs += 600_000;
    expect((await verify(jwks, tokenSignedBy(rsa1))).sub).toBe(USER_ID);
    await expect(verify(store(), tokenSignedBy(rsa1))).rejects.toThrow(KeySetUnavailableError);
  });

  it('makes TokenService verify remembered tokens again once the key set changes', async () => {
    const jwks = store();
    const tokens = new TokenService(
      { publicKey: (kid, alg) => jwks.keyFor(kid, alg), keySetVersion: () => jwks.version },
      POLICY,
      new ManualClock(new Date(NOW * 1000)),
    );
    const old = tokenSignedBy(rsa1);
    expect((await tokens.verify(old)).userId).toBe(USER_ID);
    expect((await tokens.verify(old)).userId).toBe(USER_ID);
    expect(jwks.version).toBe(1);

    published = [rsa2];
    nowMs += 30_000;
    expect((await tokens.verify(tokenSignedBy(rsa2))).userId).toBe(USER_ID);
    expect(jwks.version).toBe(2);
    // Remembered before the rotation, yet its key is gone: refused, not answered from memory.
    const refused = await tokens.verify(old).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(PlatformError);
    expect((refused as PlatformError).message).toBe('token key (kid) is not known');
  });

  it('keeps its version when a refetch brings the same keys', async () => {
    const jwks = store();
    await verify(jwks, tokenSignedBy(rsa1));
    nowMs += 600_000;
    await verify(jwks, tokenSignedBy(rsa1));
    expect([fetches, jwks.version]).toEqual([2, 1]);
  });
});
