import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Observable, throwError } from 'rxjs';
import { MAX_BODY_BYTES, rawResponse } from './http-platform';
import { requestIdOf } from './logging/request-context';
import { noteErrorCode } from './metrics/http-metrics';
import { isTransientInfrastructureError } from './transient-errors';

/**
 * The refusals every service shares (request shape, identity, routing, capacity): the one list
 * of platform error codes, with their HTTP status and what they mean. Each service adds its own
 * domain codes in its `*-error.ts`; both reach clients through ErrorFilter alone.
 */
export const PLATFORM_ERRORS = {
  VALIDATION_FAILED: { status: 422, meaning: 'a field is missing, unknown or invalid (see field)' },
  MALFORMED_REQUEST: { status: 400, meaning: 'the request cannot be read (e.g. invalid JSON)' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'the body is over 100kb or nested over 32 levels' },
  UNAUTHENTICATED: { status: 401, meaning: 'no valid bearer token (or internal identity)' },
  FORBIDDEN: { status: 403, meaning: 'the caller lacks the role the route requires' },
  ROUTE_NOT_FOUND: { status: 404, meaning: 'no such route, or nothing of the caller there' },
  RATE_LIMITED: { status: 429, meaning: 'too many requests; retry after Retry-After seconds' },
  UPSTREAM_UNAVAILABLE: { status: 503, meaning: 'a service behind the gateway did not answer' },
  UPSTREAM_TIMEOUT: { status: 504, meaning: 'a service behind the gateway answered too slowly' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'a dependency (the database) is down; retry' },
  INTERNAL: { status: 500, meaning: 'a bug; the request id finds it in the logs' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type PlatformErrorCode = keyof typeof PLATFORM_ERRORS;

export function platformErrorStatus(code: PlatformErrorCode): number {
  return PLATFORM_ERRORS[code].status;
}

export class PlatformError extends Error {
  constructor(
    readonly code: PlatformErrorCode,
    message: string,
    readonly field?: string,
    /** When the refusal should be over (Retry-After); 503s default to RETRY_AFTER_SECONDS. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'PlatformError';
  }
}

/** The body of every error response of every service. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** The request field at fault, on VALIDATION_FAILED. */
    field?: string;
    details?: Record<string, unknown>;
    /** Also the x-request-id response header: what support and the logs know the call by. */
    requestId: string;
  };
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

const BODY_TOO_LARGE = `request body is larger than ${MAX_BODY_BYTES / 1024}kb`;

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

interface AnswerableResponse {
  status(code: number): { send(body: unknown): unknown };
}

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
    // Express's response and Fastify's reply both answer status().send(object) with JSON.
    const response = host.switchToHttp().getResponse<AnswerableResponse>();
    const requestId = requestIdOf(
      host.switchToHttp().getRequest<Pick<IncomingMessage, 'headers'>>(),
    );
    const mapped = this.map(exception);
    if (mapped.code === 'SERVICE_UNAVAILABLE') {
      this.logger.warn({
        message: 'request refused: dependency unavailable',
        requestId,
        err: String(exception),
      });
    } else if (mapped.status >= 500) {
      this.logger.error({
        message: 'request failed',
        requestId,
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
        requestId,
      },
    };
    const raw = rawResponse(response);
    raw.setHeader('x-request-id', requestId);
    if (mapped.retryAfterSeconds !== undefined) {
      raw.setHeader('Retry-After', String(mapped.retryAfterSeconds));
    }
    noteErrorCode(raw, mapped.code);
    response.status(mapped.status).send(body);
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
        ...(exception.retryAfterSeconds !== undefined
          ? { retryAfterSeconds: exception.retryAfterSeconds }
          : status === 503
            ? { retryAfterSeconds: RETRY_AFTER_SECONDS }
            : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status: number = exception.getStatus();
      if (status === 404) {
        return { status, code: 'ROUTE_NOT_FOUND', message: 'no such route' };
      }
      // Fastify's body limit (the only 413 a framework raises), worded as body-parser's below.
      if (status === 413) return { status, code: 'PAYLOAD_TOO_LARGE', message: BODY_TOO_LARGE };
      if (status === 400) {
        return { status, code: 'MALFORMED_REQUEST', message: exception.message };
      }
      if (status === 503) return SERVICE_UNAVAILABLE;
      return {
        status,
        code: status >= 500 ? 'INTERNAL' : 'MALFORMED_REQUEST',
        message: exception.message,
      };
    }
    // Body parsers' errors are plain errors carrying a status: over the limit (413) or bad JSON.
    const carried = exception as { status?: unknown; statusCode?: unknown } | null | undefined;
    const status = carried?.status ?? carried?.statusCode;
    if (status === 413) {
      return { status, code: 'PAYLOAD_TOO_LARGE', message: BODY_TOO_LARGE };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status: 400, code: 'MALFORMED_REQUEST', message: 'request body is not valid JSON' };
    }
    if (isTransientInfrastructureError(exception)) return SERVICE_UNAVAILABLE;
    return { status: 500, code: 'INTERNAL', message: 'internal error' };
  }
}
