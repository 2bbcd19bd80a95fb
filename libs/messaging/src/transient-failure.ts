/**
 * Tells an infrastructure failure (worth retrying for as long as it lasts) from one that will
 * fail the same way every time (a contract or domain error, a bug): only the latter may ever be
 * dead-lettered. Unknown errors count as deterministic, so they surface after bounded retries.
 */

// Postgres SQLSTATEs that say "not now" rather than "never".
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '58'];
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57P05', // idle_session_timeout
  '25P03', // idle_in_transaction_session_timeout
]);

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection (is )?(closed|ended)/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /query read timeout/i,
  /sorry, too many clients/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

const TRANSIENT_ERROR_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'CannotConnectAlreadyConnectedError',
  'ConnectionIsNotSetError',
  'QueryRunnerAlreadyReleasedError',
]);

export function isTransientFailure(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const { code, name, message } = err as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) {
      return true;
    }
  }
  if (typeof name === 'string' && TRANSIENT_ERROR_NAMES.has(name)) return true;
  if (typeof message === 'string' && TRANSIENT_MESSAGES.some((p) => p.test(message))) return true;
  // TypeORM wraps the driver's error; Node wraps causes.
  const inner = err as { driverError?: unknown; cause?: unknown; errors?: unknown };
  if (inner.driverError !== undefined && isTransientFailure(inner.driverError, depth + 1)) {
    return true;
  }
  if (inner.cause !== undefined && isTransientFailure(inner.cause, depth + 1)) return true;
  if (Array.isArray(inner.errors))
    return inner.errors.some((e) => isTransientFailure(e, depth + 1));
  return false;
}
