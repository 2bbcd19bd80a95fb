import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { PlatformError } from './errors';

export const ROLES = ['student', 'instructor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as vouched for by the gateway after verifying the bearer token. */
export interface CallerIdentity {
  userId: string;
  roles: Role[];
}

export const CALLER_ID_HEADER = 'x-user-id';
export const CALLER_ROLES_HEADER = 'x-user-roles';

// User ids are the identity provider's UUID subjects; anything else is no identity at all.
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function callerFromHeaders(headers: Request['headers']): CallerIdentity | undefined {
  const userId = headers[CALLER_ID_HEADER];
  const roles = headers[CALLER_ROLES_HEADER];
  if (typeof userId !== 'string' || !USER_ID.test(userId) || typeof roles !== 'string') {
    return undefined;
  }
  return {
    userId,
    roles: roles.split(',').filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
  };
}

/**
 * The authenticated caller; refuses with 401 when there is none and with 403 when the caller has
 * none of the given roles.
 */
export const Caller = createParamDecorator((allowed: Role[] | undefined, ctx: ExecutionContext) => {
  const caller = callerFromHeaders(ctx.switchToHttp().getRequest<Request>().headers);
  if (!caller) throw new PlatformError('UNAUTHENTICATED', 'sign in first');
  if (allowed && !caller.roles.some((r) => allowed.includes(r))) {
    throw new PlatformError('FORBIDDEN', `requires role ${allowed.join(' or ')}`);
  }
  return caller;
});
