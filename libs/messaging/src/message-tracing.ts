import {
  context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

// Kafka spans of the outbox relay and the inbox, and the trace context they carry: the outbox row
// keeps the traceparent of the work that wrote it (the envelope's), the relay publishes each event
// in a PRODUCER span under it and puts that span's traceparent in the Kafka headers, and the
// consumer applies it in a CONSUMER span under that. One client request and every event it causes
// form one trace. All of it is a no-op while no tracing SDK is started.

const tracer = () => trace.getTracer('rewards-messaging');

/** Same attribute as service-kit's SERVICE_ATTRIBUTE (messaging cannot depend on service-kit). */
const SERVICE_ATTRIBUTE = 'rewards.service';

function contextOf(traceparent: string | undefined) {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

function traceparentOf(ctx: ReturnType<typeof context.active>): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The traceparent of the active span, if a recording one is active. */
export function currentTraceparent(): string | undefined {
  return traceparentOf(context.active());
}

export interface PublishSpan {
  /** The traceparent for the message's Kafka headers (the envelope's when not tracing). */
  traceparent: string | undefined;
  end(error?: unknown): void;
}

export function startPublishSpan(
  service: string,
  topic: string,
  messageId: string,
  envelopeTraceparent: string | undefined,
): PublishSpan {
  const span = tracer().startSpan(
    `${topic} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [SERVICE_ATTRIBUTE]: service,
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        'messaging.message.id': messageId,
      },
    },
    contextOf(envelopeTraceparent),
  );
  const traceparent = span.isRecording()
    ? traceparentOf(trace.setSpan(ROOT_CONTEXT, span))
    : envelopeTraceparent;
  return { traceparent, end: (error) => finish(span, error) };
}

/** Runs `work` in a CONSUMER span under the message's traceparent (Kafka header). */
export function inConsumeSpan<T>(
  service: string,
  topic: string,
  messageId: string,
  traceparent: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    `${topic} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [SERVICE_ATTRIBUTE]: service,
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.message.id': messageId,
      },
    },
    contextOf(traceparent),
    async (span) => {
      try {
        const result = await work();
        finish(span);
        return result;
      } catch (err) {
        finish(span, err);
        throw err;
      }
    },
  );
}

function finish(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const message = error instanceof Error ? error.message : JSON.stringify(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 200) });
  }
  span.end();
}
