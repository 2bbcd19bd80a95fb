import { context, trace } from '@opentelemetry/api';
import { withRequestId } from './request-context';
import { redactString } from './redact';
import { StructuredLogger } from './structured-logger';

describe(StructuredLogger.name, () => {
  let lines: string[];
  let write: jest.SpyInstance;

  beforeEach(() => {
    lines = [];
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
  });

  afterEach(() => write.mockRestore());

  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  it('writes one JSON object per line with the service and the request id', () => {
    const logger = new StructuredLogger('payouts', ['log']);
    const spanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    };
    context.with(trace.setSpanContext(context.active(), spanContext), () =>
      withRequestId('req-12345678', () => logger.log({ message: 'paid', payoutId: 'p1' })),
    );

    expect(logged()).toEqual([
      expect.objectContaining({
        level: 'log',
        service: 'payouts',
        requestId: 'req-12345678',
        message: { message: 'paid', payoutId: 'p1' },
      }),
    ]);
  });

  it('drops secret-named fields and masks secrets and personal data in values', () => {
    const logger = new StructuredLogger('gateway', ['warn']);
    logger.warn({
      message: 'upstream failed for ana@example.com from 203.0.113.9',
      authorization: 'Bearer abc.def.ghi',
      password: 'hunter2',
      email: 'ana@example.com',
      err: 'connect postgres://svc_wallet:s3cr3t@db:5432/rewards failed',
      key: 'sk_live_51Habc',
      deviceId: 'raw-device',
    });

    const text = lines.join('');
    for (const leaked of [
      'ana@example.com',
      '203.0.113.9',
      'abc.def.ghi',
      'hunter2',
      's3cr3t',
      'sk_live_51Habc',
      'raw-device',
    ]) {
      expect(text).not.toContain(leaked);
    }
    expect(logged()[0].message).toEqual({
      message: 'upstream failed for [email] from [ip]',
      authorization: '[redacted]',
      password: '[redacted]',
      email: '[redacted]',
      err: 'connect postgres://svc_wallet:[redacted]@db:5432/rewards failed',
      key: '[stripe-key]',
      deviceId: '[redacted]',
    });
  });
});

describe(redactString.name, () => {
  it('masks JWTs and webhook secrets but keeps ids and loopback addresses', () => {
    expect(redactString('token eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl whsec_abc123')).toBe(
      'token [jwt] [webhook-secret]',
    );
    expect(redactString('listening on http://127.0.0.1:3000 payout 5e3551d3')).toBe(
      'listening on http://127.0.0.1:3000 payout 5e3551d3',
    );
  });
});
