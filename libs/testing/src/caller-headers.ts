import {
  GATEWAY_ISSUER,
  INTERNAL_TOKEN_HEADER,
  serviceCallHeaders,
  signInternalToken,
} from '@rewards/service-kit';
import { testInternalAuthKey } from './test-infra';

/**
 * Headers of a call to a service as the gateway makes it for a signed-in user: the run's
 * internal token naming the user. `roles` is comma-separated, e.g. 'instructor,admin'.
 */
export function callerHeaders(
  service: string,
  userId: string,
  roles: string,
  key = testInternalAuthKey(),
): Record<string, string> {
  return {
    [INTERNAL_TOKEN_HEADER]: signInternalToken(
      { iss: GATEWAY_ISSUER, aud: service, usr: { id: userId, roles: roles.split(',') } },
      key,
    ),
  };
}

/** What an attacker inside the cluster can send without the key: the old identity headers. */
export const forgedCallerHeaders = (userId: string, roles: string): Record<string, string> => ({
  'x-user-id': userId,
  'x-user-roles': roles,
});

/** Headers of a service-to-service call, signed with the run's key as service `from`. */
export const serviceHeaders = (
  from: string,
  to: string,
  key = testInternalAuthKey(),
): Record<string, string> => serviceCallHeaders({ from, to, key });
