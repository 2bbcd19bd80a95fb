import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

const EXPORT_TIMEOUT_MS = 10_000;

/**
 * Sends spans as OTLP/HTTP JSON to `<endpoint>/v1/traces`, what every OpenTelemetry Collector
 * accepts. Written here rather than taken from the OTLP exporter package, which loads node's
 * http module with a dynamic import that Jest cannot run.
 */
export class OtlpJsonTraceExporter implements SpanExporter {
  private readonly url: URL;
  private readonly pending = new Set<Promise<void>>();

  constructor(endpoint: string) {
    this.url = new URL(`${endpoint.replace(/\/$/, '')}/v1/traces`);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = JsonTraceSerializer.serializeRequest(spans);
    if (!body) {
      done({ code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') });
      return;
    }
    const sent = this.post(Buffer.from(body)).then(
      () => done({ code: ExportResultCode.SUCCESS }),
      (error: Error) => done({ code: ExportResultCode.FAILED, error }),
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }

  private post(body: Buffer): Promise<void> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          timeout: EXPORT_TIMEOUT_MS,
        },
        (res) => {
          res.resume();
          res.once('end', () =>
            (res.statusCode ?? 500) < 300
              ? resolve()
              : reject(new Error(`OTLP endpoint answered ${res.statusCode}`)),
          );
        },
      );
      req.once('timeout', () => req.destroy(new Error('OTLP export timed out')));
      req.once('error', reject);
      req.end(body);
    });
  }
}
