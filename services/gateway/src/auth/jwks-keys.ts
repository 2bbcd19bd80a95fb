import { Logger } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { describeError } from '../http/describe-error';
import { InvalidTokenError, type AsymmetricAlgorithm } from './access-token';

/** The identity provider's key set cannot be fetched and none is cached: 503, not 401. */
export class KeySetUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeySetUnavailableError';
  }
}

export interface JwksOptions {
  url: string;
  /** How long a fetched key set is used before it is fetched again. */
  cacheSeconds: number;
  /** An unknown kid (a rotation) refetches the set, at most this often. */
  minRefreshSeconds: number;
  timeoutMs: number;
}

interface CachedKey {
  key: KeyObject;
  alg?: string;
}

const fitsAlgorithm = (key: KeyObject, alg: AsymmetricAlgorithm): boolean =>
  alg === 'RS256'
    ? key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
    : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

/**
 * The public keys of a JWKS URL, cached; a token naming a key not in the cache (the provider
 * rotated) refetches the set, rate-limited so forged kids cannot make the gateway hammer it.
 * When a refresh fails, the keys already known keep working.
 */
export class JwksKeys {
  private readonly logger = new Logger(JwksKeys.name);
  private keys = new Map<string, CachedKey>();
  private fetchedJwks = '';
  private changes = 0;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private attemptedAtMs = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<void>;

  constructor(
    private readonly options: JwksOptions,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Goes up each time a fetch brings a key set different from the one in use. */
  get version(): number {
    return this.changes;
  }

  async keyFor(kid: string, alg: AsymmetricAlgorithm): Promise<KeyObject> {
    const now = this.nowMs();
    if (now - this.fetchedAtMs >= this.options.cacheSeconds * 1000) {
      await this.refresh();
    } else if (
      !this.keys.has(kid) &&
      now - this.attemptedAtMs >= this.options.minRefreshSeconds * 1000
    ) {
      await this.refresh();
    }
    const found = this.keys.get(kid);
    if (!found) throw new InvalidTokenError('token key (kid) is not known');
    if ((found.alg !== undefined && found.alg !== alg) || !fitsAlgorithm(found.key, alg)) {
      throw new InvalidTokenError(`token key (kid) is not an ${alg} key`);
    }
    return found.key;
  }

  private refresh(): Promise<void> {
    // Concurrent requests share one fetch.
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAtMs = this.nowMs();
    try {
      const res = await fetch(this.options.url, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      const body = (await res.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) throw new Error('answered without a keys array');
      const jwks = JSON.stringify(body.keys);
      if (jwks !== this.fetchedJwks) {
        this.keys = parseKeys(body.keys as unknown[]);
        this.fetchedJwks = jwks;
        this.changes += 1;
      }
      this.fetchedAtMs = this.nowMs();
    } catch (err) {
      this.logger.warn({
        message: 'JWKS fetch failed',
        url: this.options.url,
        err: describeError(err),
      });
      if (this.keys.size === 0) {
        throw new KeySetUnavailableError('the identity provider keys are unavailable');
      }
    }
  }
}

function parseKeys(jwks: unknown[]): Map<string, CachedKey> {
  const keys = new Map<string, CachedKey>();
  for (const jwk of jwks) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const { kid, use, alg, kty } = jwk as Record<string, unknown>;
    if (typeof kid !== 'string' || (use !== undefined && use !== 'sig')) continue;
    if (kty !== 'RSA' && kty !== 'EC') continue;
    try {
      const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      keys.set(kid, { key, ...(typeof alg === 'string' ? { alg } : {}) });
    } catch {
      // One unusable key does not take the others down.
    }
  }
  return keys;
}
