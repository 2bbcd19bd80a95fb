/**
 * Tells failures of the infrastructure (the database or the network is down, busy or failing
 * over) from failures of the request or message itself. The first kind says nothing about what
 * was asked: HTTP answers 503 and asks to retry later, a consumer retries without ever
 * dead-lettering. Everything else (a constraint violation, a domain refusal, a bug) is not.
 *
 * Framework-free on purpose (duck-typed, no imports), so any library can reuse it.
 */
export function isTransientInfrastructureError(err: unknown): boolean {
  return causesOf(err).some(isTransientItself);
}

/**
 * Postgres SQLSTATEs that are about the server or the moment, not the statement.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure: the transaction may succeed when run again
  '40P01', // deadlock_detected: the victim may succeed when run again
  '40003', // statement_completion_unknown: the connection was lost at commit
  '55P03', // lock_not_available: lock_timeout or NOWAIT
  '57014', // query_canceled: statement_timeout or a cancel request
  '57P01', // admin_shutdown: pg_terminate_backend, or the server is shutting down
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or in recovery
  '57P05', // idle_session_timeout
  '25006', // read_only_sql_transaction: a failover left the connection on a standby
  '58000', // system_error
  '58030', // io_error
]);

/** Whole SQLSTATE classes: 08 connection exception, 53 insufficient resources (53300 too many clients). */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53'];

/** A client that breaks the protocol has a bug; retrying it will not help. */
const NOT_TRANSIENT_SQLSTATES = new Set(['08P01']);

/** Socket and resolver errors: the other end is unreachable for now. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Errors node-postgres and its pool raise without a code when the connection is gone or slow. */
const TRANSIENT_DRIVER_MESSAGES = [
  /^Connection terminated\b/, // "... unexpectedly", "... due to connection timeout"
  /^timeout exceeded when trying to connect$/, // pool connectionTimeoutMillis
  /^timeout expired$/, // client connectionTimeoutMillis
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
];

/** TypeORM errors raised when its pool is not (or no longer) connected. */
const TRANSIENT_ERROR_NAMES = new Set([
  'CannotExecuteNotConnectedError',
  'CannotGetEntityManagerNotConnectedError',
  'ConnectionIsNotSetError',
  // AbortSignal.timeout(): the dependency did not answer in time.
  'TimeoutError',
  // kafkajs: the broker is away, slow, or moving partitions (e.g. dead-lettering failed).
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
]);

/**
 * 0A000 is mostly a real "feature not supported"; this one message is a prepared statement whose
 * table a migration changed: the connection forgets it and re-prepares on the next run.
 */
const CACHED_PLAN_CHANGED = /^cached plan must not change result type$/;

function isTransientItself(err: object): boolean {
  const code = (err as { code?: unknown }).code;
  const message = (err as { message?: unknown }).message;
  if (code === '0A000') return typeof message === 'string' && CACHED_PLAN_CHANGED.test(message);
  if (typeof code === 'string') {
    // Network codes first: EPIPE has the shape of a SQLSTATE.
    if (TRANSIENT_NETWORK_CODES.has(code)) return true;
    if (isSqlState(code)) return isTransientSqlState(code);
  }
  const name = (err as { name?: unknown }).name;
  if (typeof name === 'string' && TRANSIENT_ERROR_NAMES.has(name)) return true;
  return typeof message === 'string' && TRANSIENT_DRIVER_MESSAGES.some((m) => m.test(message));
}

const isSqlState = (code: string) => /^[0-9A-Z]{5}$/.test(code);

function isTransientSqlState(code: string): boolean {
  if (NOT_TRANSIENT_SQLSTATES.has(code)) return false;
  return TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2));
}

const MAX_CAUSES = 10;

/**
 * The error and what it wraps: TypeORM's `driverError`, the standard `cause`, and the
 * `errors` of an AggregateError (a connect that tried IPv6 and IPv4), breadth-first.
 */
function causesOf(err: unknown): object[] {
  const seen: object[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.length < MAX_CAUSES) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.includes(next)) continue;
    seen.push(next);
    const { driverError, cause, errors } = next as {
      driverError?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    queue.push(driverError, cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return seen;
}
