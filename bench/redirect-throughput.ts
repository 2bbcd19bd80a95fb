// Share-link redirects: GET /r/{slug} through the gateway at 64 connections, compared with a
// bare Fastify hello (fastify-hello.ts, its own process) served in the same run on the same machine.
// Target: at least 2,500 redirects/s with p99 under 30 ms. A tenth of the requests are misses
// (unknown slugs). Afterwards every hit must be a recorded click (the buffer loses none). A
// third phase sends the same requests to referrals directly, to show the gateway hop's share.
//
//   npm run build && tsc -p bench/tsconfig.json && node dist/bench/redirect-throughput.js
//
// Env: BENCH_SECONDS (15 per phase), BENCH_CONNECTIONS (64), BENCH_MISS_RATIO (0.1).
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { startBenchPlatform } from './bench-platform';
import { request, sleep } from './bench-http';
import {
  appendTableRow,
  describeEnvironment,
  findRepoRoot,
  LatencySummary,
  summarize,
  writeResultFile,
} from './bench-report';

const TARGET_RPS = 2500;
const TARGET_P99_MS = 30;

interface PhaseResult {
  requests: number;
  errors: number;
  unexpectedStatus: number;
  rps: number;
  latencyMs: LatencySummary | null;
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/** One GET on a keep-alive agent; resolves with the status. */
function get(agent: Agent, url: URL, path: string, headers: Record<string, string>) {
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      { agent, host: url.hostname, port: url.port, path, method: 'GET', headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** `connections` loops, each one request at a time, for `seconds` (after a warm-up). */
async function load(
  baseUrl: string,
  connections: number,
  seconds: number,
  next: (i: number) => { path: string; headers: Record<string, string>; expect: number },
): Promise<PhaseResult> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const run = async (ms: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    let unexpected = 0;
    let n = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < end) {
          const { path, headers, expect } = next(n++);
          const began = performance.now();
          try {
            const status = await get(agent, url, path, headers);
            if (status !== expect) unexpected += 1;
            if (record) latencies.push(performance.now() - began);
          } catch {
            errors += 1;
          }
        }
      }),
    );
    return { latencies, errors, unexpected };
  };
  await run(3000, false);
  const began = performance.now();
  const measured = await run(seconds * 1000, true);
  const elapsed = (performance.now() - began) / 1000;
  agent.destroy();
  return {
    requests: measured.latencies.length,
    errors: measured.errors,
    unexpectedStatus: measured.unexpected,
    rps: Math.round((measured.latencies.length / elapsed) * 10) / 10,
    latencyMs: summarize(measured.latencies),
  };
}

/** A bare Fastify hello in its own process: the machine's ceiling for a trivial answer. */
async function startHello(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(__dirname, 'fastify-hello.js'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`hello server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<number> {
  const date = new Date();
  const root = findRepoRoot(__dirname);
  const seconds = envInt('BENCH_SECONDS', 15);
  const connections = envInt('BENCH_CONNECTIONS', 64);
  const missRatio = Number(process.env.BENCH_MISS_RATIO ?? '0.1');
  const say = (line: string) => console.error(line);
  const platform = await startBenchPlatform({
    root,
    partitions: 3,
    logDir: join(root, '.local', 'bench-logs', 'redirect-throughput'),
    serviceEnv: {
      // Every request comes from this one address: counted, never refused, or the limiter would
      // be all the benchmark measures.
      gateway: { LOG_LEVEL: 'warn', RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000000' },
      referrals: { LOG_LEVEL: 'warn' },
    },
    say,
  });
  const hello = await startHello();
  try {
    const gatewayUrl = platform.gatewayUrl;
    const deadline = () => performance.now() + 60_000;
    const { token } = await request<{ token: string }>(gatewayUrl, 'POST', '/auth/dev-token', {
      json: { role: 'student' },
      deadline: deadline(),
    });
    await request(gatewayUrl, 'POST', '/accounts', {
      token,
      json: { role: 'student', email: 'bench@example.test', displayName: 'Bench' },
      deadline: deadline(),
    });
    let code: string | undefined;
    const until = deadline();
    while (code === undefined && performance.now() < until) {
      code = await request<{ code: string }>(gatewayUrl, 'GET', '/referrals/me', {
        token,
        deadline: until,
      }).then(
        (me) => me.code,
        () => undefined,
      );
      if (code === undefined) await sleep(200);
    }
    if (code === undefined) throw new Error('the referrer never got a code');

    say(`hello: ${connections} connections for ${seconds} s`);
    const helloResult = await load(hello.url, connections, seconds, () => ({
      path: '/',
      headers: {},
      expect: 200,
    }));
    say(`redirects: ${connections} connections for ${seconds} s, ${missRatio * 100}% misses`);
    let hits = 0;
    const every = missRatio > 0 ? Math.round(1 / missRatio) : Number.POSITIVE_INFINITY;
    const redirectResult = await load(gatewayUrl, connections, seconds, (i) => {
      const miss = i % every === every - 1;
      if (!miss) hits += 1;
      return {
        path: miss ? `/r/NOPE${(i % 9000) + 1000}` : `/r/${code}`,
        headers: { 'x-device-id': `bench-device-${i % 5000}`, 'user-agent': 'bench' },
        expect: 302,
      };
    });
    // The same requests to referrals itself: how much of the time is the gateway's hop.
    say(
      `redirects straight to referrals (no gateway): ${connections} connections for ${seconds} s`,
    );
    const directResult = await load(platform.serviceUrls.referrals, connections, seconds, (i) => {
      const miss = i % every === every - 1;
      if (!miss) hits += 1;
      return {
        path: miss ? `/r/NOPE${(i % 9000) + 1000}` : `/r/${code}`,
        headers: {
          'x-device-id': `bench-device-${i % 5000}`,
          'user-agent': 'bench',
          'x-forwarded-for': '203.0.113.9',
        },
        expect: 302,
      };
    });
    // Everything sent was either a hit or a miss; the clicks recorded must equal the hits
    // (warm-up included) once the buffer was flushed.
    await sleep(3000);
    const db = new Client({ connectionString: platform.adminUrl });
    await db.connect();
    const [{ n }] = (await db.query<{ n: string }>('SELECT count(*) AS n FROM referrals.clicks'))
      .rows;
    await db.end();
    const clicksRecorded = Number(n);

    const environment = describeEnvironment(root, date);
    const ratio =
      helloResult.rps > 0 ? Math.round((redirectResult.rps / helloResult.rps) * 1000) / 1000 : 0;
    const p99 = redirectResult.latencyMs?.p99 ?? Number.POSITIVE_INFINITY;
    const met = redirectResult.rps >= TARGET_RPS && p99 < TARGET_P99_MS;
    const result = {
      benchmark: 'redirect-throughput',
      ...environment,
      config: { seconds, connections, missRatio, path: 'gateway GET /r/{slug}' },
      target: { rps: TARGET_RPS, p99Ms: TARGET_P99_MS, met },
      hello: helloResult,
      redirect: redirectResult,
      redirectWithoutGateway: directResult,
      ratioToHello: ratio,
      clicks: { hitsSent: hits, recorded: clicksRecorded, lost: hits - clicksRecorded },
    };
    const file = writeResultFile(root, 'redirect-throughput', date, result);
    const ms = (s: LatencySummary | null) => (s ? `${s.p50} / ${s.p95} / ${s.p99}` : 'n/a');
    appendTableRow(
      root,
      'redirect-throughput',
      [
        'date (UTC)',
        'commit',
        'cpus',
        'connections',
        's',
        'misses',
        'hello /s',
        'hello p50 / p95 / p99 ms',
        'redirects /s',
        'redirect p50 / p95 / p99 ms',
        'ratio to hello',
        'referrals alone /s (p99 ms)',
        'errors',
        'clicks sent / recorded',
        'target met',
        'file',
      ],
      [
        environment.date.slice(0, 19).replace('T', ' '),
        `${environment.gitCommit.slice(0, 10)}${environment.gitDirty ? ' (dirty)' : ''}`,
        String(environment.cpus),
        String(connections),
        String(seconds),
        `${missRatio * 100}%`,
        String(helloResult.rps),
        ms(helloResult.latencyMs),
        String(redirectResult.rps),
        ms(redirectResult.latencyMs),
        String(ratio),
        `${directResult.rps} (${directResult.latencyMs?.p99 ?? 'n/a'})`,
        String(redirectResult.errors + redirectResult.unexpectedStatus),
        `${hits} / ${clicksRecorded}`,
        met ? 'yes' : 'MISS',
        relative(join(root, 'bench', 'results'), file),
      ],
    );
    console.log(JSON.stringify(result, null, 2));
    return 0;
  } finally {
    hello.stop();
    await platform.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`redirect-throughput: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
