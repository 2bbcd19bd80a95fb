import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import Redis from 'ioredis';

/**
 * A Redis for the rate-limit tests: REDIS_URL when set; else a redis-server of our own on a free
 * port when the binary is installed (isolated from anyone else's keys); else one already
 * listening on 127.0.0.1:6379. `reason` says why there is none, for the skip message.
 */
export type RedisTarget =
  { kind: 'url' | 'spawn'; url?: string } | { kind: 'none'; reason: string };

const onPath = (binary: string) => spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;

// Synchronous, because jest decides between describe and describe.skip at collection time.
const listening6379 = () =>
  spawnSync(process.execPath, [
    '-e',
    "require('net').connect(6379,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))",
  ]).status === 0;

export function findRedis(): RedisTarget {
  if (process.env.REDIS_URL) return { kind: 'url', url: process.env.REDIS_URL };
  if (onPath('redis-server')) return { kind: 'spawn' };
  if (listening6379()) return { kind: 'url', url: 'redis://127.0.0.1:6379' };
  return {
    kind: 'none',
    reason:
      'no Redis: REDIS_URL is unset, redis-server is not installed (apt-get install redis-server) ' +
      'and nothing listens on 127.0.0.1:6379',
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningRedis {
  url: string;
  /** Stops a redis-server we started (undefined for one we were given). */
  stop?: () => Promise<void>;
}

async function answers(url: string, deadlineMs: number): Promise<void> {
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (Date.now() > deadlineMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      client.disconnect();
    }
  }
}

export async function startRedis(target: RedisTarget): Promise<RunningRedis> {
  if (target.kind === 'none') throw new Error(target.reason);
  if (target.kind === 'url' && target.url) {
    await answers(target.url, Date.now() + 10_000);
    return { url: target.url };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await answers(url, Date.now() + 30_000);
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
