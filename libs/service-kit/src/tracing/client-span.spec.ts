import { trace } from '@opentelemetry/api';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamClient } from '../upstream-client';
import { startClientSpan } from './client-span';
import { startTracing, type RunningTracing } from './tracing';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe(startClientSpan.name, () => {
  const received: IncomingHttpHeaders[] = [];
  // The service called, and an OTLP endpoint that accepts and drops what it is sent.
  const upstream = createServer((req, res) => {
    received.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  const collector = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('{}'));
  });
  let client: UpstreamClient;
  let collectorUrl: string;
  let tracing: RunningTracing | undefined;

  beforeAll(async () => {
    client = new UpstreamClient({
      name: 'wallet',
      baseUrl: await listen(upstream),
      timeoutMs: 2000,
      maxSockets: 2,
      failureThreshold: 3,
      openMs: 5000,
    });
    collectorUrl = await listen(collector);
  });
  afterAll(async () => {
    client.close();
    await tracing?.shutdown();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  });

  it('is undefined unless tracing instruments calls', async () => {
    expect(startClientSpan('GET', new URL('http://127.0.0.1:1'), '/x', {})).toBeUndefined();
    const uninstrumented = startTracing({
      service: 'spec',
      endpoint: collectorUrl,
      autoInstrument: false,
    });
    expect(startClientSpan('GET', new URL('http://127.0.0.1:1'), '/x', {})).toBeUndefined();
    await uninstrumented.shutdown();
  });

  it('makes an upstream call the child of a client span in the caller trace', async () => {
    tracing = startTracing({ service: 'spec', endpoint: collectorUrl, autoInstrument: true });
    received.length = 0;
    const tracer = trace.getTracer('spec');
    const parent = await tracer.startActiveSpan('parent', async (span) => {
      await client.send({ method: 'GET', path: '/x?token=t', headers: { 'x-request-id': 'r' } });
      span.end();
      return span.spanContext();
    });
    const [, traceId, spanId] = String(received[0]?.traceparent).split('-');
    expect(traceId).toBe(parent.traceId);
    // Its parent is the client span, not the caller's own span.
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe(parent.spanId);
    expect(received[0]?.['x-request-id']).toBe('r');
  });
});
