import {
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  type CustomDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PlatformError, type CallerIdentity, type Role } from '@rewards/service-kit';
import type { IncomingMessage } from 'node:http';
import { TokenService } from './token.service';

/** Who may call a route: anyone, any signed-in user, or signed-in users with one of the roles. */
export type AccessRule = 'public' | 'signed-in' | readonly Role[];

const ACCESS_RULE = Symbol('ACCESS_RULE');

export const Access = (rule: AccessRule): CustomDecorator<symbol> => SetMetadata(ACCESS_RULE, rule);

// The verified caller of each in-flight request, kept off the request object's own fields. Keyed
// by the framework's request object (Express's or Fastify's), the one guards and handlers share.
const callers = new WeakMap<object, CallerIdentity>();

/** The caller the guard verified for this request; undefined on public routes. */
export function verifiedCaller(req: object): CallerIdentity | undefined {
  return callers.get(req);
}

/** Enforces the route's access rule; routes without one are refused rather than left open. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.get<AccessRule | undefined>(ACCESS_RULE, context.getHandler());
    if (rule === undefined)
      throw new Error(`route ${context.getHandler().name} has no access rule`);
    if (rule === 'public') return true;

    const req = context.switchToHttp().getRequest<Pick<IncomingMessage, 'headers'>>();
    const caller = await this.tokens.verifyAuthorizationHeader(req.headers.authorization);
    if (rule !== 'signed-in' && !caller.roles.some((role) => rule.includes(role))) {
      throw new PlatformError('FORBIDDEN', `requires role ${rule.join(' or ')}`);
    }
    callers.set(req, caller);
    return true;
  }
}
