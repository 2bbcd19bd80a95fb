import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { currentRequestId } from './request-context';
import { redactingReplacer } from './redact';

type JsonLogObject = ReturnType<ConsoleLogger['getJsonLogObject']>;

/**
 * One JSON object per line: level, time, service, context, message, and when known the trace id
 * and span id of the active span and the id of the request being handled. Secret-named fields are
 * dropped and secret-looking values (credentials in URLs, bearer tokens, JWTs, Stripe keys,
 * emails, client IPs) masked before the line is written.
 */
export class StructuredLogger extends ConsoleLogger {
  constructor(
    private readonly service: string,
    logLevels: LogLevel[],
  ) {
    super(service, { json: true, logLevels });
  }

  protected override getJsonLogObject(
    message: unknown,
    options: Parameters<ConsoleLogger['getJsonLogObject']>[1],
  ): JsonLogObject {
    const base = super.getJsonLogObject(message, options);
    const span = trace.getActiveSpan()?.spanContext();
    const requestId = currentRequestId();
    return {
      ...base,
      service: this.service,
      ...(span && span.traceId !== '00000000000000000000000000000000'
        ? { traceId: span.traceId, spanId: span.spanId }
        : {}),
      ...(requestId ? { requestId } : {}),
    } as JsonLogObject;
  }

  protected override stringifyReplacer(key: string, value: unknown): unknown {
    return redactingReplacer(key, super.stringifyReplacer(key, value));
  }
}
