import { Injectable } from '@nestjs/common';
import { PlatformError, type CallerIdentity, type Role } from '@rewards/service-kit';
import type { IncomingHttpHeaders } from 'node:http';
import { TokenService } from './token.service';

/** Who may call a route: anyone, any signed-in user, or signed-in users with one of the roles. */
export type AccessRule = 'public' | 'signed-in' | readonly Role[];

/** Enforces a route's access rule on a request's bearer token. */
@Injectable()
export class AccessCheck {
  constructor(private readonly tokens: TokenService) {}

  /** The verified caller; 401 without a valid token, 403 without one of the rule's roles. */
  async callerFor(
    rule: Exclude<AccessRule, 'public'>,
    headers: IncomingHttpHeaders,
  ): Promise<CallerIdentity> {
    const caller = await this.tokens.verifyAuthorizationHeader(headers.authorization);
    if (rule !== 'signed-in' && !caller.roles.some((role) => rule.includes(role))) {
      throw new PlatformError('FORBIDDEN', `requires role ${rule.join(' or ')}`);
    }
    return caller;
  }
}
