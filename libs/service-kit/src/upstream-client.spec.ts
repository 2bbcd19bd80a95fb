import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamCallError, UpstreamClient } from './upstream-client';

describe(UpstreamClient.name, () => {
  let server: Server;
  let url: string;
  let mode: 'ok' | 'fail-connection' | 'reset-once' = 'ok';
  let requests = 0;
  let nowMs = 0;
  const sockets = new Set<unknown>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      sockets.add(req.socket);
      if (mode === 'fail-connection') return void req.socket.destroy();
      if (mode === 'reset-once') {
        // A kept-alive connection the upstream drops as the next call arrives on it.
        mode = 'ok';
        return void req.socket.destroy();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = (callsAreIdempotent = false) =>
    new UpstreamClient({
      callsAreIdempotent,
      name: 'wallet',
      baseUrl: url,
      timeoutMs: 2000,
      maxSockets: 4,
      failureThreshold: 3,
      openMs: 5000,
      nowMs: () => nowMs,
    });
  const reason = async (c: UpstreamClient) => {
    try {
      await c.send({ method: 'POST', path: '/x', headers: {} });
    } catch (err) {
      if (err instanceof UpstreamCallError) return err.reason;
      throw err;
    }
    return 'answered';
  };

  it('reuses kept-alive connections', async () => {
    mode = 'ok';
    const c = client();
    sockets.clear();
    for (let i = 0; i < 10; i += 1) {
      const answer = await c.send({ method: 'GET', path: '/x', headers: {} });
      expect(answer.status).toBe(200);
      expect(answer.header('content-type')).toBe('application/json');
    }
    // The pool frees a connection a microtask after its answer, so calls made back to back may
    // alternate between two; never one per call.
    expect(sockets.size).toBeLessThanOrEqual(2);
    c.close();
  });

  it('opens after consecutive failures, fails fast while open, and closes after a good probe', async () => {
    mode = 'fail-connection';
    nowMs = 0;
    requests = 0;
    const c = client();
    for (let i = 0; i < 3; i += 1) expect(await reason(c)).toBe('unreachable');
    expect(requests).toBe(3);
    expect(await reason(c)).toBe('circuit-open');
    expect(requests).toBe(3);
    nowMs = 5000;
    // The probe fails: open again.
    expect(await reason(c)).toBe('unreachable');
    expect(await reason(c)).toBe('circuit-open');
    mode = 'ok';
    nowMs = 10_000;
    expect(await reason(c)).toBe('answered');
    expect(await reason(c)).toBe('answered');
    c.close();
  });

  const answerThenReset = async (c: UpstreamClient) => {
    mode = 'ok';
    nowMs = 0;
    await c.send({ method: 'GET', path: '/x', headers: {} });
    requests = 0;
    mode = 'reset-once';
    return reason(c);
  };

  it('sends a POST again that met a kept-alive connection the upstream dropped, when calls are idempotent', async () => {
    const c = client(true);
    expect(await answerThenReset(c)).toBe('answered');
    expect(requests).toBe(2);
    c.close();
  });

  it('does not send a POST twice unless calls are idempotent, and names the socket error', async () => {
    const c = client();
    mode = 'ok';
    nowMs = 0;
    await c.send({ method: 'GET', path: '/x', headers: {} });
    requests = 0;
    mode = 'reset-once';
    const failure = await c.send({ method: 'POST', path: '/x', headers: {} }).catch((e) => e);
    c.close();
    expect(failure).toBeInstanceOf(UpstreamCallError);
    expect((failure as UpstreamCallError).reason).toBe('unreachable');
    // undici's name for a connection closed under the call.
    expect((failure as UpstreamCallError).causeCode).toBe('UND_ERR_SOCKET');
    expect(requests).toBe(1);
  });
});
