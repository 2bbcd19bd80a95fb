// Where the gateway's slowest requests at a fixed rate come from (issue 9's added p99): the
// gateway-overhead open loop against one gateway, with GCs and event-loop stalls recorded inside
// it (pause-recorder-preload.ts) and the upstream's new connections counted; each of the slowest
// 1 % is matched with the pauses that overlapped it. Prints only; run after `npm run build` and
// `npx tsc -p bench/tsconfig.json`. GATEWAY_NODE_ARGS passes flags (e.g. a semi-space size).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findRepoRoot } from './bench-report';

const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUTE = '/referrals/founding-status';
const BODY = JSON.stringify({ cap: 100, awarded: 58, spotsLeft: 42, phase: 'founding' });

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const get = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const overlaps = (pauses: number[][], from: number, to: number) =>
  pauses.some(([start, duration]) => start + duration >= from && start <= to);

async function main(): Promise<void> {
  const root = findRepoRoot(__dirname);
  const base = 41_000 + Math.floor(Math.random() * 1000);
  const [servicePort, gatewayPort, metricsPort] = [base, base + 1, base + 2];
  const out = join(tmpdir(), `gateway-tail-${process.pid}.json`);
  // The stand-in counts the connections it accepts and prints the count on SIGWINCH.
  const service = spawn(
    process.execPath,
    [
      '-e',
      `let n = 0; const s = require('http').createServer((q, r) => { r.writeHead(200, {'content-type': 'application/json; charset=utf-8'}); r.end(${JSON.stringify(BODY)}); });
       s.on('connection', () => { n += 1; }); process.on('SIGWINCH', () => console.log(n));
       s.listen(${servicePort}, '127.0.0.1');`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const counts: number[] = [];
  service.stdout.on('data', (chunk: Buffer) => counts.push(Number(chunk.toString().trim())));
  const gatewayArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const gateway = spawn(
    process.execPath,
    [
      ...gatewayArgs,
      '-r',
      join(__dirname, 'pause-recorder-preload.js'),
      join(root, 'dist/services/gateway/src/main.js'),
    ],
    {
      env: {
        ...process.env,
        PAUSE_RECORDER_OUT: out,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        PORT: String(gatewayPort),
        METRICS_PORT: String(metricsPort),
        JWT_SECRET: randomBytes(32).toString('hex'),
        INTERNAL_AUTH_KEY: randomBytes(32).toString('hex'),
        REFERRALS_URL: `http://127.0.0.1:${servicePort}`,
        RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  try {
    const url = `http://127.0.0.1:${gatewayPort}${ROUTE}`;
    for (let tries = 0; (await get(url).catch(() => 0)) !== 200; tries += 1) {
      if (tries > 300) throw new Error('the gateway did not come up');
      await sleep(200);
    }
    for (let i = 0; i < 2000; i += 1) await get(url); // warm-up
    service.kill('SIGWINCH');
    const requests: [dueEpochMs: number, latencyMs: number, sentLateMs: number][] = [];
    const t0 = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < RATE * SECONDS; i += 1) {
      const due = t0 + (i * 1000) / RATE;
      for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
        await sleep(Math.ceil(wait));
      }
      const sentLate = performance.now() - due;
      inFlight.push(
        get(url).then(() => {
          requests.push([performance.timeOrigin + due, performance.now() - due, sentLate]);
        }),
      );
    }
    await Promise.all(inFlight);
    service.kill('SIGWINCH');
    gateway.kill('SIGWINCH');
    await sleep(500);
    const { gcs, stalls } = JSON.parse(readFileSync(out, 'utf8')) as {
      gcs: number[][];
      stalls: number[][];
    };
    const from = requests[0][0];
    const inRun = (pauses: number[][]) => pauses.filter(([start]) => start >= from);
    const [runGcs, runStalls] = [inRun(gcs), inRun(stalls)];
    const sorted = requests.map(([, latency]) => latency).sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
    const slow = requests.filter(([, latency]) => latency >= at(0.99));
    const slowWith = (test: (r: (typeof requests)[number]) => boolean) => slow.filter(test).length;
    const round = (n: number) => Math.round(n * 100) / 100;
    console.log(
      JSON.stringify(
        {
          rate: RATE,
          seconds: SECONDS,
          gatewayNodeArgs: gatewayArgs,
          latencyMs: { p50: round(at(0.5)), p99: round(at(0.99)), max: round(at(1)) },
          gcs: runGcs.length,
          gcPauseMs: round(runGcs.reduce((sum, [, d]) => sum + d, 0)),
          stallsOver3Ms: runStalls.length,
          newUpstreamConnections: (counts[1] ?? NaN) - (counts[0] ?? NaN),
          slowest1Percent: slow.length,
          ofThemOverlappingGc: slowWith(([due, lat]) => overlaps(runGcs, due, due + lat)),
          ofThemOverlappingStall: slowWith(([due, lat]) => overlaps(runStalls, due, due + lat)),
          ofThemSentOver1MsLate: slowWith(([, , late]) => late > 1),
        },
        null,
        2,
      ),
    );
  } finally {
    agent.destroy();
    gateway.kill('SIGTERM');
    service.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
