import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvelope, EventEnvelope, Topics } from '@rewards/contracts';
import {
  callerHeaders,
  eventually,
  KafkaProbe,
  migrate,
  serviceTestEnv,
  testAdminUrl,
  type DataService,
} from '@rewards/testing';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { renderOverlay } from '../tools/k8s/render-manifests';
import { spawnService, type ServiceProcess } from '../tools/local/service-process';
import { referralsDataSource } from '../services/referrals/src/db/data-source';
import { walletDataSource } from '../services/wallet/src/db/data-source';
import { httpGet, HttpLoad, type LoadOutcome } from './support/load';

/**
 * A rolling update as Kubernetes does it, on the real service process (built, started as the
 * image starts it): while clients keep calling it and events keep arriving, the pod is deleted,
 * its preStop hook sleeps as the manifest says, then it gets SIGTERM. Nothing it accepted may
 * fail, readiness must turn false before it stops answering, it must exit 0 within what is left
 * of the grace period, and once a new replica has taken over every event is applied exactly once.
 */
const repoRoot = join(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pod's shutdown settings, as the prod overlay renders them. */
function shutdownSettings(service: string): { graceMs: number; preStopMs: number } {
  const found = renderOverlay(repoRoot, 'prod').find(
    (o) => o.kind === 'Deployment' && o.metadata.name === service,
  );
  const pod = new Deployment(found).spec?.template.spec;
  const command = pod?.containers[0].lifecycle?.preStop?.exec?.command ?? [];
  const grace = pod?.terminationGracePeriodSeconds;
  if (command[0] !== 'sleep' || grace === undefined) {
    throw new Error(`${service}: no preStop sleep or terminationGracePeriodSeconds`);
  }
  return { graceMs: grace * 1000, preStopMs: Number(command[1]) * 1000 };
}

/** What one service is drilled with, and how to tell each event was applied exactly once. */
interface Scenario {
  service: DataService;
  dataSource: (url: string) => DataSource;
  /** A route the load calls, and who calls it. */
  path: string;
  headers: () => Record<string, string>;
  /** The n-th event of the stream. */
  event: (n: number) => EventEnvelope<object>;
  /** Resolves once every event's effect is there exactly once (polled until it holds). */
  appliedOnce: (db: Client, events: Array<EventEnvelope<object>>, base: string) => Promise<void>;
}

const beneficiary = randomUUID();
const SCENARIOS: Scenario[] = [
  {
    // Unlocked rewards credit one user's wallet, 100 cents each, each announced once.
    service: 'wallet',
    dataSource: walletDataSource,
    path: '/wallet/me',
    headers: () => callerHeaders('wallet', beneficiary, 'student'),
    event: () => {
      const rewardId = randomUUID();
      const now = new Date();
      return createEnvelope({
        type: Topics.RewardUnlocked,
        version: 1,
        producer: 'referrals',
        key: rewardId,
        occurredAt: now,
        payload: {
          rewardId,
          beneficiaryId: beneficiary,
          kind: 'student_referral_credit',
          amount: { amountCents: 100, currency: 'USD' },
          unlockedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 180 * 86_400_000).toISOString(),
        },
      });
    },
    appliedOnce: async (_db, events, base) => {
      const answer = await fetch(`${base}/wallet/me`, {
        headers: callerHeaders('wallet', beneficiary, 'student'),
      });
      const body = (await answer.json()) as { balances: Array<{ availableCents: number }> };
      expect(body.balances[0]?.availableCents).toBe(events.length * 100);
      const credited = probe.find(
        Topics.WalletCredited,
        (v: { payload?: { ownerId?: string } }) => v.payload?.ownerId === beneficiary,
      );
      const sources = credited.map(
        (m) => (JSON.parse(m.value) as { payload: { sourceId: string } }).payload.sourceId,
      );
      expect(sources.sort()).toEqual(
        events.map((e) => (e.payload as { rewardId: string }).rewardId).sort(),
      );
    },
  },
  {
    // Every registered user gets one referral code.
    service: 'referrals',
    dataSource: referralsDataSource,
    path: '/referrals/founding-status',
    headers: () => ({}),
    event: () => {
      const userId = randomUUID();
      return createEnvelope({
        type: Topics.UserRegistered,
        version: 1,
        producer: 'bookings',
        key: userId,
        occurredAt: new Date(),
        payload: {
          userId,
          role: 'student',
          email: `${userId}@example.test`,
          displayName: 'S',
          registeredAt: new Date().toISOString(),
        },
      });
    },
    appliedOnce: async (db, events) => {
      const users = events.map((e) => (e.payload as { userId: string }).userId);
      const { rows } = await db.query<{ user_id: string; n: string }>(
        `SELECT user_id, count(*) AS n FROM referrals.referral_codes
          WHERE user_id = ANY($1::uuid[]) GROUP BY user_id`,
        [users],
      );
      expect(rows.length).toBe(users.length);
      expect(rows.filter((r) => r.n !== '1')).toEqual([]);
    },
  },
];

const probe = new KafkaProbe();

describe('graceful shutdown under load', () => {
  let dir: string;
  const started: ServiceProcess[] = [];
  const db = new Client({ connectionString: testAdminUrl() });

  beforeAll(async () => {
    // The process runs what the image runs: the compiled service with the tracing preload.
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      { cwd: repoRoot, stdio: 'inherit' },
    );
    dir = mkdtempSync(join(tmpdir(), 'graceful-shutdown-'));
    for (const s of SCENARIOS) await migrate(s.dataSource(serviceTestEnv(s.service).DATABASE_URL));
    await probe.watch([Topics.WalletCredited]);
    await db.connect();
  });

  /** Stops a failed drill's producer and clients before the next one (or the probe) goes. */
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    for (const p of started) await p.stop(2000);
    await probe.close();
    await db.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(service: DataService, port: number, note: string): Promise<ServiceProcess> {
    const p = spawnService({
      name: service,
      script: join(repoRoot, `dist/services/${service}/src/main.js`),
      env: {
        PATH: process.env.PATH ?? '',
        ...serviceTestEnv(service, {
          PORT: String(port),
          METRICS_PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
        }),
      },
      cwd: repoRoot,
      logFile: join(dir, `${service}.log`),
      startNote: note,
      onErrorLine: () => undefined,
    });
    started.push(p);
    await eventually(
      async () => {
        if (p.hasExited()) throw new Error(`${service} exited:\n${p.tail().join('\n')}`);
        const ready = await httpGet(new URL(`http://127.0.0.1:${port}/health/ready`), {}, false);
        expect(ready.status).toBe(200);
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    return p;
  }

  it.each(SCENARIOS.map((s) => [s.service, s] as const))(
    '%s: drains on SIGTERM with nothing accepted failing and every event applied once',
    async (service, scenario) => {
      const { graceMs, preStopMs } = shutdownSettings(service);
      const port = await freePort();
      const first = await start(service, port, 'first replica');
      const base = `http://127.0.0.1:${port}`;

      // Events: a steady stream from before the shutdown until after the next replica started.
      const events: Array<EventEnvelope<object>> = [];
      let producing = true;
      const producer = (async () => {
        for (let n = 0; producing; n++) {
          const event = scenario.event(n);
          await probe.produce(event.type, event.key, JSON.stringify(event));
          events.push(event);
          await sleep(10);
        }
      })();
      cleanups.push(async () => {
        producing = false;
        await producer;
      });

      // Requests back to back; readiness probed as the kubelet would, a new connection each time.
      const load = new HttpLoad(`${base}${scenario.path}`, scenario.headers);
      const readiness: LoadOutcome[] = [];
      let probing = true;
      const readinessProbe = (async () => {
        while (probing) {
          const startedAt = Date.now();
          const outcome = await httpGet(new URL(`${base}/health/ready`), {}, false);
          readiness.push({ startedAt, endedAt: Date.now(), ...outcome });
          await sleep(20);
        }
      })();
      cleanups.push(async () => {
        probing = false;
        await readinessProbe;
        await load.stop();
      });

      await sleep(2000);
      // The pod is deleted: the preStop hook runs (the process still serves) while the endpoints
      // controller and kube-proxy take it out of the Service (about a second), then SIGTERM.
      await sleep(1000);
      load.removeFromEndpoints();
      await sleep(preStopMs - 1000);
      const sigtermAt = Date.now();
      process.kill(first.pid, 'SIGTERM');
      const exit = await Promise.race([
        first.exited,
        sleep(graceMs - preStopMs).then(() => 'killed by the kubelet' as const),
      ]);
      const exitedAt = Date.now();
      probing = false;
      await readinessProbe;
      await load.stop();

      expect({ exit, log: exit === 'killed by the kubelet' ? first.tail() : [] }).toEqual({
        exit: { code: 0, signal: null },
        log: [],
      });
      expect(exitedAt - sigtermAt).toBeLessThan(graceMs - preStopMs);

      // Every request got its answer, except connections refused once the server stopped
      // listening (never accepted: a client or kube-proxy sends them to another replica).
      const answered = load.outcomes.filter((o) => o.status !== undefined);
      const refused = load.outcomes.filter((o) => o.error === 'ECONNREFUSED');
      expect(answered.length).toBeGreaterThan(50);
      expect(answered.filter((o) => o.status !== 200)).toEqual([]);
      expect(
        load.outcomes.filter((o) => o.status === undefined && o.error !== 'ECONNREFUSED'),
      ).toEqual([]);
      expect(refused.filter((o) => o.startedAt < sigtermAt)).toEqual([]);
      // While draining, answers close their connection: keep-alive clients move on.
      expect(answered.filter((o) => o.startedAt > sigtermAt + 50 && !o.connectionClose)).toEqual(
        [],
      );

      // Readiness: ready until SIGTERM, then 503 (while it still answers), never ready again.
      const probed = readiness.filter((o) => o.status !== undefined);
      expect(probed.filter((o) => o.endedAt < sigtermAt).every((o) => o.status === 200)).toBe(true);
      const afterSigterm = probed.filter((o) => o.startedAt > sigtermAt);
      // A process with little to drain may be gone before the next probe (every 20 ms) starts.
      if (exitedAt - sigtermAt > 1000) expect(afterSigterm.length).toBeGreaterThan(0);
      expect(afterSigterm.filter((o) => o.status !== 503)).toEqual([]);

      // A new replica takes over; the stream goes on a little, then stops.
      await start(service, port, 'second replica');
      await sleep(1000);
      producing = false;
      await producer;

      await eventually(() => scenario.appliedOnce(db, events, base), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${service}.inbox_messages
          WHERE consumer = $1 AND message_id = ANY($2::uuid[])`,
        [service, events.map((e) => e.id)],
      );
      expect(Number(rows[0].n)).toBe(events.length);
      // Nothing more arrives later (a second publish, a late redelivery applied again).
      await sleep(500);
      await scenario.appliedOnce(db, events, base);
    },
  );
});
