import { Clock, PlatformError, type CallerIdentity, type Role } from '@rewards/service-kit';
import {
  InvalidTokenError,
  signAccessToken,
  verifyAccessToken,
  type TokenKeys,
  type TokenPolicy,
} from './access-token';
import { KeySetUnavailableError } from './jwks-keys';
import { VerifiedTokenCache } from './verified-token-cache';

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/**
 * Verifies bearer tokens (and mints local HS256 ones) against the injected clock. A token it
 * accepted is accepted again from the cache until its exp or for 30 s, whichever comes first,
 * unless the key set changed since: then every token is verified again.
 */
export class TokenService {
  private readonly verified = new VerifiedTokenCache();
  private verifiedWithKeySet: number | undefined;

  constructor(
    private readonly keys: TokenKeys,
    private readonly policy: TokenPolicy,
    private readonly clock: Clock,
  ) {
    this.verifiedWithKeySet = keys.keySetVersion?.();
  }

  get maxLifetimeSeconds(): number {
    return this.policy.maxLifetimeSeconds;
  }

  issue(input: { userId: string; roles: Role[]; ttlSeconds: number }): IssuedToken {
    if (this.keys.secret === undefined) throw new Error('no JWT_SECRET to sign tokens with');
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const exp = iat + input.ttlSeconds;
    const token = signAccessToken(
      {
        sub: input.userId,
        roles: input.roles,
        iss: this.policy.issuer,
        aud: this.policy.audience,
        iat,
        exp,
      },
      this.keys.secret,
    );
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The caller a token vouches for; 401 UNAUTHENTICATED saying why when it vouches for none. */
  async verify(token: string): Promise<CallerIdentity> {
    const nowMs = this.clock.now().getTime();
    const keySet = this.keys.keySetVersion?.();
    if (keySet !== this.verifiedWithKeySet) {
      // A key may have been withdrawn: what it signed must pass the signature check again.
      this.verified.clear();
      this.verifiedWithKeySet = keySet;
    }
    const known = this.verified.get(token, nowMs);
    if (known !== undefined) return known;
    try {
      const claims = await verifyAccessToken(token, {
        keys: this.keys,
        policy: this.policy,
        nowSeconds: Math.floor(nowMs / 1000),
      });
      const caller = { userId: claims.sub, roles: claims.roles };
      // Checked against a key set that changed meanwhile: accepted once, not remembered.
      if (this.keys.keySetVersion?.() === this.verifiedWithKeySet) {
        this.verified.set(token, caller, claims.exp, nowMs);
      }
      return caller;
    } catch (err) {
      if (err instanceof InvalidTokenError) throw new PlatformError('UNAUTHENTICATED', err.message);
      if (err instanceof KeySetUnavailableError) {
        throw new PlatformError('UPSTREAM_UNAVAILABLE', err.message);
      }
      throw err;
    }
  }

  /** The caller named by an `Authorization: Bearer <token>` header. */
  async verifyAuthorizationHeader(header: string | undefined): Promise<CallerIdentity> {
    if (header === undefined || header === '') {
      throw new PlatformError(
        'UNAUTHENTICATED',
        'sign in first: send Authorization: Bearer <token>',
      );
    }
    const match = /^Bearer +(\S+)$/i.exec(header);
    if (!match) {
      throw new PlatformError('UNAUTHENTICATED', 'Authorization header must be Bearer <token>');
    }
    return this.verify(match[1]);
  }
}
