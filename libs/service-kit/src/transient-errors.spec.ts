import { DatabaseError } from 'pg';
import {
  CannotExecuteNotConnectedError,
  ConnectionIsNotSetError,
  EntityNotFoundError,
  QueryFailedError,
} from 'typeorm';
import { isTransientInfrastructureError } from './transient-errors';

/** An error as node-postgres raises it for an ErrorResponse of the server. */
function pgError(code: string, message: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = code;
  err.severity = 'ERROR';
  return err;
}

/** The same error after TypeORM wrapped it, as repositories and queries throw it. */
function queryFailed(driverError: Error): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], driverError);
}

function socketError(code: string, message = `connect ${code} 127.0.0.1:5432`): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
}

describe(isTransientInfrastructureError.name, () => {
  describe('is true for failures of the infrastructure', () => {
    it.each([
      ['57P01', 'terminating connection due to administrator command'],
      ['57P02', 'terminating connection because of crash of another server process'],
      ['57P03', 'the database system is starting up'],
      ['57014', 'canceling statement due to statement timeout'],
      ['55P03', 'could not obtain lock on row in relation "payouts"'],
      ['53300', 'sorry, too many clients already'],
      ['53300', 'too many connections for role "svc_payouts"'],
      ['53200', 'out of memory'],
      ['40P01', 'deadlock detected'],
      ['40001', 'could not serialize access due to concurrent update'],
      ['08006', 'connection failure'],
      ['08001', 'could not establish connection'],
      ['25006', 'cannot execute UPDATE in a read-only transaction'],
      // A prepared statement whose table a migration changed: re-prepared on the next run.
      ['0A000', 'cached plan must not change result type'],
    ])('a server error %s (%s), raw and wrapped by TypeORM', (code, message) => {
      expect(isTransientInfrastructureError(pgError(code, message))).toBe(true);
      expect(isTransientInfrastructureError(queryFailed(pgError(code, message)))).toBe(true);
    });

    it.each([
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENOTFOUND',
      'EAI_AGAIN',
    ])('a socket error %s', (code) => {
      expect(isTransientInfrastructureError(socketError(code))).toBe(true);
    });

    it.each([
      'KafkaJSConnectionError',
      'KafkaJSRequestTimeoutError',
      'KafkaJSNumberOfRetriesExceeded',
    ])('a broker that is away or slow (%s)', (name) => {
      const err = Object.assign(new Error('broker unreachable'), { name });
      expect(isTransientInfrastructureError(err)).toBe(true);
    });

    it.each([
      'Connection terminated unexpectedly',
      'Connection terminated',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
      'Query read timeout',
    ])('the driver error "%s", raw and wrapped by TypeORM', (message) => {
      expect(isTransientInfrastructureError(new Error(message))).toBe(true);
      expect(isTransientInfrastructureError(queryFailed(new Error(message)))).toBe(true);
    });

    it('a TypeORM data source that is not connected', () => {
      expect(isTransientInfrastructureError(new CannotExecuteNotConnectedError('default'))).toBe(
        true,
      );
      expect(isTransientInfrastructureError(new ConnectionIsNotSetError('postgres'))).toBe(true);
    });

    it('a connect refused on every address (an AggregateError)', () => {
      const refused = new AggregateError(
        [socketError('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'), socketError('ECONNREFUSED')],
        '',
      );
      expect(isTransientInfrastructureError(refused)).toBe(true);
    });

    it('a failure whose cause is one, e.g. fetch failing to connect', () => {
      const fetchFailed = new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') });
      expect(isTransientInfrastructureError(fetchFailed)).toBe(true);
      const wrapped = new Error('Connection terminated due to connection timeout', {
        cause: new Error('timeout expired'),
      });
      expect(isTransientInfrastructureError(new Error('outer', { cause: wrapped }))).toBe(true);
    });

    it('a dependency that did not answer in time (AbortSignal.timeout)', () => {
      const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      expect(isTransientInfrastructureError(timeout)).toBe(true);
    });
  });

  describe('is false for failures of the request, the data or the code', () => {
    it.each([
      ['23505', 'duplicate key value violates unique constraint "payouts_pkey"'],
      ['23514', 'new row for relation "payouts" violates check constraint'],
      ['23503', 'insert or update violates foreign key constraint'],
      ['23502', 'null value in column "amount_cents" violates not-null constraint'],
      ['22P02', 'invalid input syntax for type uuid: "x"'],
      ['42P01', 'relation "payouts" does not exist'],
      ['42501', 'permission denied for schema wallet'],
      ['28P01', 'password authentication failed for user "svc_payouts"'],
      ['P0001', 'transfer_attempts is append-only'],
      ['08P01', 'invalid message format'],
      ['0A000', 'LIMIT WITH TIES is not supported with SKIP LOCKED'],
    ])('a server error %s (%s), raw and wrapped by TypeORM', (code, message) => {
      expect(isTransientInfrastructureError(pgError(code, message))).toBe(false);
      expect(isTransientInfrastructureError(queryFailed(pgError(code, message)))).toBe(false);
    });

    it('a domain error with a stable code', () => {
      class PayoutsError extends Error {
        readonly code = 'PAYOUT_NOT_FOUND';
      }
      expect(isTransientInfrastructureError(new PayoutsError('no such payout'))).toBe(false);
      expect(isTransientInfrastructureError(new EntityNotFoundError('Payout', {}))).toBe(false);
    });

    it('a plain bug, and a message that merely mentions a connection', () => {
      expect(isTransientInfrastructureError(new TypeError('x is undefined'))).toBe(false);
      expect(isTransientInfrastructureError(new Error('invalid Connection terminated'))).toBe(
        false,
      );
    });

    it.each([undefined, null, 'ECONNREFUSED', 57014, {}])('a non-error value %p', (value) => {
      expect(isTransientInfrastructureError(value)).toBe(false);
    });

    it('a chain of causes that loops back on itself, without hanging', () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      Object.assign(a, { cause: b });
      expect(isTransientInfrastructureError(a)).toBe(false);
    });
  });
});
