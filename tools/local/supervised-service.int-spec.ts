import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './process-control';
import { RestartBackoff } from './restart-backoff';
import { SupervisedService } from './supervised-service';

// A stand-in service: answers /health/ready, says when it starts and when SIGTERM drains it;
// IGNORE_SIGTERM makes it one that never stops by itself.
const FAKE_SERVICE = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end(req.url === '/health/ready' ? 'ok' : ''));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => {
  if (process.env.IGNORE_SIGTERM === 'true') return console.log('ignoring SIGTERM');
  console.log('draining');
  setTimeout(() => { console.log('drained'); process.exit(0); }, 100);
});
`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe(SupervisedService.name, () => {
  let dir: string;
  let abort: AbortController;
  const reports: string[] = [];
  const running: SupervisedService[] = [];

  async function startService(env: Record<string, string> = {}): Promise<SupervisedService> {
    const port = await freePort();
    const service = new SupervisedService({
      name: 'wallet',
      script: join(dir, 'service.js'),
      env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
      cwd: dir,
      port,
      url: `http://127.0.0.1:${port}`,
      logFile: join(dir, 'wallet.log'),
      logLabel: 'wallet.log',
      report: (line) => reports.push(line),
      onChange: () => undefined,
    });
    running.push(service);
    expect(await service.waitReady(10_000, abort.signal)).toBe(true);
    return service;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'supervised-'));
    writeFileSync(join(dir, 'service.js'), FAKE_SERVICE);
    abort = new AbortController();
    reports.length = 0;
  });

  afterEach(async () => {
    abort.abort();
    await Promise.all(running.splice(0).map((s) => s.stop(1_000)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts a killed service and appends to its log after a separator', async () => {
    const service = await startService();
    const firstPid = service.status().pid as number;
    void service.supervise(
      abort.signal,
      new RestartBackoff({ firstMs: 50, maxMs: 50, stableAfterMs: 1 }),
    );

    process.kill(firstPid, 'SIGKILL');
    await until(() => service.status().state === 'ready' && service.status().pid !== firstPid);

    const status = service.status();
    const log = readFileSync(join(dir, 'wallet.log'), 'utf8');
    expect(status).toMatchObject({ restarts: 1, lastExit: { code: null, signal: 'SIGKILL' } });
    expect(isAlive(status.pid as number)).toBe(true);
    expect(log.match(/^===== \S+ wallet (start|restart 1) \(pid \d+\) =====$/gm)).toHaveLength(2);
    expect(log.match(/^listening$/gm)).toHaveLength(2);
    expect(reports[0]).toMatch(
      /^wallet \(pid \d+\) exited unexpectedly with signal SIGKILL; restarting in 0\.1 s \(log: wallet\.log\)$/,
    );
  });

  it('stops with SIGTERM and lets the service drain, without restarting it', async () => {
    const service = await startService();
    const pid = service.status().pid as number;
    void service.supervise(abort.signal);

    abort.abort();
    await service.stop();

    expect(readFileSync(join(dir, 'wallet.log'), 'utf8')).toContain('draining\ndrained\n');
    expect(service.status()).toMatchObject({ state: 'stopped', pid: null, restarts: 0 });
    expect(isAlive(pid)).toBe(false);
    expect(reports).toEqual([]);
  });

  it('kills a service that does not stop within the grace period', async () => {
    const service = await startService({ IGNORE_SIGTERM: 'true' });
    const pid = service.status().pid as number;

    const started = Date.now();
    await service.stop(300);

    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(isAlive(pid)).toBe(false);
    expect(readFileSync(join(dir, 'wallet.log'), 'utf8')).toContain('ignoring SIGTERM');
  });
});
