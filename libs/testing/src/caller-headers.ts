import { CALLER_ID_HEADER, CALLER_ROLES_HEADER, type Role } from '@rewards/service-kit';

/**
 * What the gateway forwards to a service for a caller it verified: tests that call a service
 * directly build it here, the one place to change when the identity scheme does.
 */
export function callerHeaders(userId: string, role: Role): Record<string, string> {
  return { [CALLER_ID_HEADER]: userId, [CALLER_ROLES_HEADER]: role };
}
