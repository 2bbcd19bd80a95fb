import { Clock, PlatformError, type CallerIdentity, type Role } from '@rewards/service-kit';
import { InvalidTokenError, signAccessToken, verifyAccessToken } from './access-token';

export interface TokenSettings {
  secret: string;
  issuer: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Mints and verifies the gateway's bearer tokens against the injected clock. */
export class TokenService {
  constructor(
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {}

  issue(input: { userId: string; roles: Role[]; ttlSeconds: number }): IssuedToken {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const exp = iat + input.ttlSeconds;
    const token = signAccessToken(
      { sub: input.userId, roles: input.roles, iss: this.settings.issuer, iat, exp },
      this.settings.secret,
    );
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The caller a token vouches for; 401 UNAUTHENTICATED saying why when it vouches for none. */
  verify(token: string): CallerIdentity {
    try {
      const claims = verifyAccessToken(token, {
        ...this.settings,
        nowSeconds: Math.floor(this.clock.now().getTime() / 1000),
      });
      return { userId: claims.sub, roles: claims.roles };
    } catch (err) {
      if (err instanceof InvalidTokenError) throw new PlatformError('UNAUTHENTICATED', err.message);
      throw err;
    }
  }

  /** The caller named by an `Authorization: Bearer <token>` header. */
  verifyAuthorizationHeader(header: string | undefined): CallerIdentity {
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
