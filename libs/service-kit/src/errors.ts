import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { Observable, throwError } from 'rxjs';
import { noteErrorCode } from './metrics/http-metrics';
import { isTransientInfrastructureError } from './transient-errors';

/** Codes of refusals that every service shares (request shape, identity, routing). */
export type PlatformErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'ROUTE_NOT_FOUND'
  | 'RATE_LIMITED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

export function platformErrorStatus(code: PlatformErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case 'MALFORMED_REQUEST':
      return HttpStatus.BAD_REQUEST;
    case 'UNAUTHENTICATED':
      return HttpStatus.UNAUTHORIZED;
    case 'FORBIDDEN':
      return HttpStatus.FORBIDDEN;
    case 'ROUTE_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'RATE_LIMITED':
      return HttpStatus.TOO_MANY_REQUESTS;
    case 'UPSTREAM_UNAVAILABLE':
    case 'SERVICE_UNAVAILABLE':
      return HttpStatus.SERVICE_UNAVAILABLE;
    case 'INTERNAL':
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

export class PlatformError extends Error {
  constructor(
    readonly code: PlatformErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'PlatformError';
  }
}

/** The body of every error response of every service. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

export interface MappedError {
  status: number;
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
  /** Sent as Retry-After: when the caller may expect the refusal to be over. */
  retryAfterSeconds?: number;
}

/** What a 503 asks callers to wait: long enough for a database failover or restart to begin. */
export const RETRY_AFTER_SECONDS = 5;

/** The answer to a request that failed because the database or the network failed under it. */
const SERVICE_UNAVAILABLE: MappedError = {
  status: HttpStatus.SERVICE_UNAVAILABLE,
  code: 'SERVICE_UNAVAILABLE',
  // Says nothing of which dependency failed or how: that goes to the log only.
  message: 'the service is temporarily unavailable; retry later',
  retryAfterSeconds: RETRY_AFTER_SECONDS,
};

/** Maps a service's own error type to HTTP; returns undefined for anything else. */
export type DomainErrorMapper = (err: unknown) => MappedError | undefined;

/**
 * The one place errors become HTTP responses. An event handler's error (the inbox transport
 * shares this configuration) is passed on untouched, for the inbox to classify: Nest's default
 * would replace it with a generic object, and an infrastructure failure would look deterministic.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  constructor(private readonly mapDomainError: DomainErrorMapper = () => undefined) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => exception);
    const response = host.switchToHttp().getResponse<Response>();
    const mapped = this.map(exception);
    if (mapped.code === 'SERVICE_UNAVAILABLE') {
      this.logger.warn({
        message: 'request refused: dependency unavailable',
        err: String(exception),
      });
    } else if (mapped.status >= 500) {
      this.logger.error({
        message: 'request failed',
        err: String(exception),
        stack: (exception as Error)?.stack,
      });
    }
    const body: ErrorBody = {
      error: {
        code: mapped.code,
        message: mapped.message,
        ...(mapped.field ? { field: mapped.field } : {}),
        ...(mapped.details ? { details: mapped.details } : {}),
      },
    };
    if (mapped.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(mapped.retryAfterSeconds));
    }
    noteErrorCode(response, mapped.code);
    response.status(mapped.status).json(body);
  }

  private map(exception: unknown): MappedError {
    const domain = this.mapDomainError(exception);
    if (domain) return domain;
    if (exception instanceof PlatformError) {
      const status = platformErrorStatus(exception.code);
      return {
        status,
        code: exception.code,
        message: exception.message,
        field: exception.field,
        ...(status === 503 ? { retryAfterSeconds: RETRY_AFTER_SECONDS } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status: number = exception.getStatus();
      if (status === 404) {
        return { status, code: 'ROUTE_NOT_FOUND', message: 'no such route' };
      }
      if (status === 400 || status === 413) {
        return { status, code: 'MALFORMED_REQUEST', message: exception.message };
      }
      if (status === 503) return SERVICE_UNAVAILABLE;
      return {
        status,
        code: status >= 500 ? 'INTERNAL' : 'MALFORMED_REQUEST',
        message: exception.message,
      };
    }
    // body-parser's errors (bad JSON) are plain errors carrying a status.
    const status = (exception as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status: 400, code: 'MALFORMED_REQUEST', message: 'request body is not valid JSON' };
    }
    if (isTransientInfrastructureError(exception)) return SERVICE_UNAVAILABLE;
    return { status: 500, code: 'INTERNAL', message: 'internal error' };
  }
}
