import { Logger } from '@nestjs/common';
import {
  ConfigError,
  loadConfig,
  UpstreamClient,
  type UpstreamAnswer,
  type UpstreamCall,
} from '@rewards/service-kit';
import { BookingsConfig } from '../config/bookings.config';
import { CaptureBatcher } from './capture-batcher';
import { WalletClient } from './wallet.client';

const references = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `quote-${from + i}`);

describe(CaptureBatcher.name, () => {
  let sent: string[][];
  let failures: Array<[string[], unknown]>;
  let answer: () => Promise<void>;
  let batcher: CaptureBatcher;

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    failures = [];
    answer = () => Promise.resolve();
    batcher = new CaptureBatcher(
      (batch) => {
        sent.push(batch);
        return answer();
      },
      20,
      (batch, err) => failures.push([batch, err]),
    );
  });
  afterEach(() => jest.useRealTimers());

  it('sends what gathered within the window from the first reference, in one call', () => {
    batcher.add('quote-a');
    jest.advanceTimersByTime(15);
    batcher.add('quote-b');
    batcher.add('quote-a');
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(5);
    expect(sent).toEqual([['quote-a', 'quote-b']]);
    batcher.add('quote-c');
    jest.advanceTimersByTime(19);
    expect(sent).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([['quote-a', 'quote-b'], ['quote-c']]);
  });

  it('sends a batch as soon as 100 wait, without waiting out the window', () => {
    for (const reference of references(100)) batcher.add(reference);
    expect(sent).toEqual([references(100)]);
    batcher.add('quote-next');
    expect(sent).toHaveLength(1);
    jest.advanceTimersByTime(20);
    expect(sent).toEqual([references(100), ['quote-next']]);
  });

  it('tells of a failed batch and goes on with the next', async () => {
    const refused = new Error('the wallet did not answer');
    answer = () => Promise.reject(refused);
    batcher.add('quote-a');
    jest.advanceTimersByTime(20);
    await batcher.flush();
    expect(failures).toEqual([[['quote-a'], refused]]);
    answer = () => Promise.resolve();
    batcher.add('quote-b');
    jest.advanceTimersByTime(20);
    await batcher.flush();
    expect(sent).toEqual([['quote-a'], ['quote-b']]);
    expect(failures).toHaveLength(1);
  });

  it('flushes what waits at once, and answers once the batches in flight are answered', async () => {
    let finish = (): void => undefined;
    answer = () => new Promise<void>((resolve) => (finish = resolve));
    batcher.add('quote-a');
    let flushed = false;
    const flush = batcher.flush().then(() => (flushed = true));
    expect(sent).toEqual([['quote-a']]);
    for (let turn = 0; turn < 10; turn += 1) await Promise.resolve();
    expect(flushed).toBe(false);
    finish();
    await flush;
    expect(flushed).toBe(true);
    jest.advanceTimersByTime(20);
    expect(sent).toHaveLength(1);
  });
});

/** A 200 answer with this JSON body. */
const ok = (body: unknown): UpstreamAnswer => ({
  status: 200,
  header: () => null,
  headerValues: () => [],
  body: Buffer.from(JSON.stringify(body)),
});

describe(`${WalletClient.name} captures`, () => {
  const env = {
    DATABASE_URL: 'postgres://svc_bookings:secret@127.0.0.1:5432/rewards',
    KAFKA_BROKERS: '127.0.0.1:9092',
    INTERNAL_AUTH_KEY: 'test-only-internal-key-of-at-least-32-chars',
    CHECKOUT_QUOTE_SECRET: 'test-only-checkout-quote-secret-of-32-chars',
    STRIPE_SECRET_KEY: 'sk_test_only',
  };
  let calls: UpstreamCall[];
  let send: jest.SpyInstance;
  let close: jest.SpyInstance;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    calls = [];
    send = jest.spyOn(UpstreamClient.prototype, 'send').mockImplementation((call) => {
      calls.push(call);
      return Promise.resolve(ok({ captures: [] }));
    });
    close = jest.spyOn(UpstreamClient.prototype, 'close').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    send.mockRestore();
    close.mockRestore();
    warn.mockRestore();
  });

  it('sends the captures waiting at shutdown in one batch call before closing its pool', async () => {
    const wallet = new WalletClient(
      loadConfig(BookingsConfig, { ...env, WALLET_CAPTURE_BATCH_MS: '1000' }),
    );
    wallet.capture('quote-a');
    wallet.capture('quote-b');
    expect(calls).toEqual([]);
    const order: string[] = [];
    send.mockImplementationOnce((call: UpstreamCall) => {
      calls.push(call);
      order.push('send');
      return Promise.resolve(ok({ captures: [] }));
    });
    close.mockImplementation(() => order.push('close'));
    await wallet.onApplicationShutdown();
    expect(order).toEqual(['send', 'close']);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/internal/reservations/capture' });
    expect(JSON.parse(String(calls[0].body))).toEqual({ references: ['quote-a', 'quote-b'] });
  });

  it('logs a batch the wallet did not answer, and throws nowhere', async () => {
    send.mockRejectedValue(new Error('socket hang up'));
    const wallet = new WalletClient(loadConfig(BookingsConfig, env));
    wallet.capture('quote-a');
    await wallet.onApplicationShutdown();
    expect(JSON.stringify(warn.mock.calls)).toContain('wallet batch capture failed');
  });

  it('waits 20 ms by default, and refuses a window it was not made for', () => {
    expect(loadConfig(BookingsConfig, env).WALLET_CAPTURE_BATCH_MS).toBe(20);
    for (const bad of ['-1', '1001', 'soon']) {
      expect(() => loadConfig(BookingsConfig, { ...env, WALLET_CAPTURE_BATCH_MS: bad })).toThrow(
        ConfigError,
      );
    }
  });
});
