// The gateway's own cost (issue 9, point 11): requests/s and latency of a public route through
// the gateway, against the same route served directly and a bare Fastify hello (fastify-hello.ts,
// its own process), in one run on one machine, with each process's CPU per request in the closed
// loop; plus what the rate limiter costs per request. Writes bench/results/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SystemClock } from '@rewards/service-kit';
import { cpuMicros } from './proc-stats';
import { MemoryRateLimiter } from '../services/gateway/src/rate-limit/memory-rate-limiter';
import { RedisRateLimiter } from '../services/gateway/src/rate-limit/redis-rate-limiter';
import {
  appendTableRow,
  describeEnvironment,
  findRepoRoot,
  summarize,
  writeResultFile,
  type LatencySummary,
} from './bench-report';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = env('BENCH_SECONDS', 8);
const CONNECTIONS = env('BENCH_CONNECTIONS', 32);
const RATE = env('BENCH_RATE', 500);
const ROUTE = '/referrals/founding-status';
const BODY = JSON.stringify({ cap: 100, awarded: 58, spotsLeft: 42, phase: 'founding' });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const children: ChildProcess[] = [];
/** The last lines each child wrote, shown when it dies before answering. */
const childOutput = new Map<ChildProcess, string[]>();
function start(args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  childOutput.set(child, lines);
  children.push(child);
  return child;
}

/** A bare Fastify answering every GET with `hello`: the baseline the gateway is compared with. */
function startHello(port: number): ChildProcess {
  return start([join(__dirname, 'fastify-hello.js'), String(port)]);
}

/** A node:http server answering every request with `body`: the "service" behind the gateway. */
function startStatic(port: number, body: string, contentType: string): ChildProcess {
  const script = `require('http').createServer((q, s) => { s.writeHead(200, {'content-type': ${JSON.stringify(
    contentType,
  )}}); s.end(${JSON.stringify(body)}); }).listen(${port}, '127.0.0.1');`;
  return start(['-e', script]);
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  for (;;) {
    try {
      const status = await get(url);
      if (status === 200) return;
      last = `answered ${status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err); // not listening yet
    }
    const output = () => (childOutput.get(child) ?? []).join('\n');
    if (child.exitCode !== null) {
      throw new Error(`${url}: its process exited with ${child.exitCode}:\n${output()}`);
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up (${last}):\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface LoadResult {
  requests: number;
  errors: number;
  perSecond: number;
  latencyMs: LatencySummary | null;
}

/** As fast as `CONNECTIONS` connections go, each sending its next request on the last answer. */
async function closedLoop(url: string): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const status = await get(url).catch(() => 0);
      if (status === 200) latencies.push(performance.now() - t0);
      else errors += 1;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  return {
    requests: latencies.length + errors,
    errors,
    perSecond: Math.round(latencies.length / elapsed),
    latencyMs: summarize(latencies),
  };
}

/** `RATE` requests a second on schedule; latency counts from when each was due (no omission). */
async function openLoop(url: string): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const total = RATE * SECONDS;
  const interval = 1000 / RATE;
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = t0 + i * interval;
    // Never early (timers round fractional delays down): a request sent before it was due
    // would count a negative latency.
    for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
    }
    inFlight.push(
      get(url).then(
        (status) => {
          if (status === 200) latencies.push(performance.now() - due);
          else errors += 1;
        },
        () => {
          errors += 1;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - t0) / 1000;
  return {
    requests: total,
    errors,
    perSecond: Math.round(latencies.length / elapsed),
    latencyMs: summarize(latencies),
  };
}

async function limiterCost(redisUrl: string | undefined) {
  const policy = { limit: 1_000_000_000, perSeconds: 60 };
  const memory = new MemoryRateLimiter(new SystemClock());
  const n = 200_000;
  let t0 = performance.now();
  for (let i = 0; i < n; i += 1) await memory.take(`k${i % 10_000}`, policy);
  const memoryUs = ((performance.now() - t0) * 1000) / n;
  let redisUs: number | null = null;
  if (redisUrl !== undefined) {
    const redis = new RedisRateLimiter(
      redisUrl,
      memory,
      `bench:${randomBytes(4).toString('hex')}:`,
    );
    await redis.ready(3000);
    const m = 5000;
    t0 = performance.now();
    for (let i = 0; i < m; i += 1) await redis.take(`k${i % 100}`, policy);
    redisUs = ((performance.now() - t0) * 1000) / m;
    await redis.close();
  }
  return {
    memoryUsPerTake: round(memoryUs),
    redisUsPerTake: redisUs === null ? null : round(redisUs),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const root = findRepoRoot(__dirname);
  const date = new Date();
  const [helloPort, servicePort, gatewayPort, gatewayRedisPort, metricsPort, metricsRedisPort] =
    await Promise.all([0, 1, 2, 3, 4, 5].map(() => freePort()));
  const hello = startHello(helloPort);
  const service = startStatic(servicePort, BODY, 'application/json; charset=utf-8');
  let redisUrl = process.env.REDIS_URL;
  if (redisUrl === undefined && spawnSync('sh', ['-c', 'command -v redis-server']).status === 0) {
    const port = await freePort();
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
      {
        stdio: 'ignore',
      },
    );
    children.push(redis);
    redisUrl = `redis://127.0.0.1:${port}`;
  }
  const gatewayEnv = (port: number, metrics: number, extra: Record<string, string> = {}) => ({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    // Each its own: two gateways on the default metrics port, or someone's platform on it, and
    // the second one dies at boot.
    METRICS_PORT: String(metrics),
    JWT_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_AUTH_KEY: randomBytes(32).toString('hex'),
    REFERRALS_URL: `http://127.0.0.1:${servicePort}`,
    // Counted but never refused: the limiter's cost is measured, not its refusals.
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000000',
    ...extra,
  });
  const main = join(root, 'dist/services/gateway/src/main.js');
  const gateway = start([main], gatewayEnv(gatewayPort, metricsPort));
  const gatewayRedis = redisUrl
    ? start([main], gatewayEnv(gatewayRedisPort, metricsRedisPort, { REDIS_URL: redisUrl }))
    : undefined;

  const processes = new Map<string, ChildProcess>([
    [`http://127.0.0.1:${helloPort}/`, hello],
    [`http://127.0.0.1:${servicePort}${ROUTE}`, service],
    [`http://127.0.0.1:${gatewayPort}${ROUTE}`, gateway],
    ...(gatewayRedis
      ? [[`http://127.0.0.1:${gatewayRedisPort}${ROUTE}`, gatewayRedis] as const]
      : []),
  ]);
  const [helloUrl, directUrl, gatewayUrl, gatewayRedisUrl] = [...processes.keys()];
  const targets: Record<string, string> = {
    hello: helloUrl,
    direct: directUrl,
    gateway: gatewayUrl,
    ...(gatewayRedisUrl ? { gatewayRedis: gatewayRedisUrl } : {}),
  };
  for (const [url, child] of processes) await waitFor(url, child);
  const results: Record<
    string,
    { max: LoadResult; cpuUsPerRequest: number | null; atRate: LoadResult }
  > = {};
  for (const [name, url] of Object.entries(targets)) {
    for (let i = 0; i < 200; i += 1) await get(url); // warm-up
    // The process's own CPU per request in the closed loop: steadier than requests/s when
    // others' work shares the cores (Linux only, else null).
    const pid = processes.get(url)?.pid;
    const cpuBefore = pid === undefined ? undefined : cpuMicros(pid);
    const max = await closedLoop(url);
    const cpuAfter = pid === undefined ? undefined : cpuMicros(pid);
    const cpuUsPerRequest =
      cpuBefore === undefined || cpuAfter === undefined || max.requests === 0
        ? null
        : round((cpuAfter - cpuBefore) / max.requests);
    results[name] = { max, cpuUsPerRequest, atRate: await openLoop(url) };
    console.log(name, JSON.stringify(results[name]));
  }
  const limiter = await limiterCost(redisUrl);

  const p99 = (name: string) => results[name]?.atRate.latencyMs?.p99 ?? NaN;
  const addedP99 = round(p99('gateway') - p99('direct'));
  const ratio = round(results.gateway.max.perSecond / results.hello.max.perSecond);
  const targetsMet = {
    addedP99AtRateMs: { value: addedP99, target: '<= 3', met: addedP99 <= 3 },
    gatewayVsHello: { value: ratio, target: '>= 0.35', met: ratio >= 0.35 },
  };
  const environment = describeEnvironment(root, date);
  const file = writeResultFile(root, 'gateway-overhead', date, {
    environment,
    settings: { seconds: SECONDS, connections: CONNECTIONS, rate: RATE, route: ROUTE },
    results,
    limiter,
    targetsMet,
  });
  const fmt = (r?: LoadResult) => (r ? `${r.perSecond} / ${r.latencyMs?.p99 ?? '-'}` : '-');
  appendTableRow(
    root,
    'gateway-overhead',
    [
      'date (UTC)',
      'commit',
      'cpus',
      'load 1m',
      'req/s max / p99 ms: hello',
      'direct',
      'gateway',
      'gateway+redis',
      `p99 ms at ${RATE}/s: direct / gateway / gateway+redis`,
      'errors',
      'added p99 ms (≤ 3)',
      'gateway / hello req/s (≥ 0.35)',
      'limiter µs/take memory / redis',
      'file',
    ],
    [
      environment.date.replace('T', ' ').replace(/\.\d+Z$/, ''),
      `${environment.gitCommit.slice(0, 10)}${environment.gitDirty ? ' (dirty)' : ''}`,
      String(environment.cpus),
      spawnSync('cat', ['/proc/loadavg']).stdout?.toString().split(' ')[0] ?? '-',
      fmt(results.hello.max),
      fmt(results.direct.max),
      fmt(results.gateway.max),
      fmt(results.gatewayRedis?.max),
      `${p99('direct')} / ${p99('gateway')} / ${results.gatewayRedis ? p99('gatewayRedis') : '-'}`,
      String(Object.values(results).reduce((n, r) => n + r.max.errors + r.atRate.errors, 0)),
      `${addedP99} ${targetsMet.addedP99AtRateMs.met ? 'met' : 'MISS'}`,
      `${ratio} ${targetsMet.gatewayVsHello.met ? 'met' : 'MISS'}`,
      `${limiter.memoryUsPerTake} / ${limiter.redisUsPerTake ?? '-'}`,
      file.split('/').pop() ?? file,
    ],
  );
  console.log(`wrote ${file}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    agent.destroy();
    for (const child of children) child.kill('SIGTERM');
  });
