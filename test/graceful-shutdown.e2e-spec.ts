import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvelope, Topics } from '@rewards/contracts';
import {
  callerHeaders,
  eventually,
  KafkaProbe,
  migrate,
  serviceTestEnv,
  testAdminUrl,
} from '@rewards/testing';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Client } from 'pg';
import { renderOverlay } from '../tools/k8s/render-manifests';
import { spawnService, type ServiceProcess } from '../tools/local/service-process';
import { walletDataSource } from '../services/wallet/src/db/data-source';
import { httpGet, HttpLoad, type LoadOutcome } from './support/load';

/**
 * A rolling update as Kubernetes does it, on the real wallet process (built, started as the image
 * starts it): while clients keep calling it and events keep arriving, the pod is deleted, its
 * preStop hook sleeps as the manifest says, then it gets SIGTERM. Nothing it accepted may fail,
 * readiness must turn false before it stops answering, it must exit 0 within what is left of the
 * grace period, and once a new replica has taken over every event is applied exactly once.
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

describe('graceful shutdown under load', () => {
  let dir: string;
  const started: ServiceProcess[] = [];
  const probe = new KafkaProbe();
  const db = new Client({ connectionString: testAdminUrl() });

  beforeAll(async () => {
    // The process runs what the image runs: the compiled service with the tracing preload.
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: repoRoot,
        stdio: 'inherit',
      },
    );
    dir = mkdtempSync(join(tmpdir(), 'graceful-shutdown-'));
    await migrate(walletDataSource(serviceTestEnv('wallet').DATABASE_URL));
    await probe.watch([Topics.WalletCredited]);
    await db.connect();
  });

  afterAll(async () => {
    for (const p of started) await p.stop(2000);
    await probe.close();
    await db.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startWallet(port: number, note: string): Promise<ServiceProcess> {
    const p = spawnService({
      name: 'wallet',
      script: join(repoRoot, 'dist/services/wallet/src/main.js'),
      env: {
        PATH: process.env.PATH ?? '',
        ...serviceTestEnv('wallet', {
          PORT: String(port),
          METRICS_PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
        }),
      },
      cwd: repoRoot,
      logFile: join(dir, 'wallet.log'),
      startNote: note,
      onErrorLine: () => undefined,
    });
    started.push(p);
    await eventually(
      async () => {
        if (p.hasExited()) throw new Error(`wallet exited:\n${p.tail().join('\n')}`);
        const ready = await httpGet(new URL(`http://127.0.0.1:${port}/health/ready`), {}, false);
        expect(ready.status).toBe(200);
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    return p;
  }

  it('wallet: drains on SIGTERM with nothing accepted failing and every event applied once', async () => {
    const { graceMs, preStopMs } = shutdownSettings('wallet');
    const port = await freePort();
    const wallet = await startWallet(port, 'first replica');
    const beneficiary = randomUUID();
    const base = `http://127.0.0.1:${port}`;

    // Events: a steady stream of unlocked rewards for one user, from before the shutdown until
    // after the next replica has started, 100 cents each.
    const rewardIds: string[] = [];
    const messageIds: string[] = [];
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const rewardId = randomUUID();
        const now = new Date();
        const event = createEnvelope({
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
        await probe.produce(event.type, event.key, JSON.stringify(event));
        rewardIds.push(rewardId);
        messageIds.push(event.id);
        await sleep(10);
      }
    })();

    // Requests: clients read the user's wallet back to back; readiness is probed as the kubelet
    // would, on a new connection each time.
    const load = new HttpLoad(`${base}/wallet/me`, () => callerHeaders(beneficiary, 'student'));
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

    await sleep(2000);
    // The pod is deleted: the preStop hook runs (the process still serves), then SIGTERM.
    await sleep(preStopMs);
    const sigtermAt = Date.now();
    process.kill(wallet.pid, 'SIGTERM');
    const exit = await Promise.race([
      wallet.exited,
      sleep(graceMs - preStopMs).then(() => 'killed by the kubelet' as const),
    ]);
    const exitedAt = Date.now();
    probing = false;
    await readinessProbe;
    await load.stop();

    expect({ exit, log: exit === 'killed by the kubelet' ? wallet.tail() : [] }).toEqual({
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
    expect(answered.filter((o) => o.startedAt > sigtermAt + 50 && !o.connectionClose)).toEqual([]);

    // Readiness: ready until SIGTERM, then 503 (while it still answers), never ready again.
    const probed = readiness.filter((o) => o.status !== undefined);
    expect(probed.filter((o) => o.endedAt < sigtermAt).every((o) => o.status === 200)).toBe(true);
    const afterSigterm = probed.filter((o) => o.startedAt > sigtermAt);
    expect(afterSigterm.length).toBeGreaterThan(0);
    expect(afterSigterm.filter((o) => o.status !== 503)).toEqual([]);

    // A new replica takes over; the stream goes on a little, then stops.
    await startWallet(port, 'second replica');
    await sleep(1000);
    producing = false;
    await producer;

    const expected = rewardIds.length * 100;
    const balance = async () => {
      const answer = await fetch(`${base}/wallet/me`, {
        headers: callerHeaders(beneficiary, 'student'),
      });
      const body = (await answer.json()) as { balances: Array<{ availableCents: number }> };
      return body.balances[0]?.availableCents ?? 0;
    };
    await eventually(async () => expect(await balance()).toBe(expected), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM wallet.inbox_messages
        WHERE consumer = 'wallet' AND message_id = ANY($1::uuid[])`,
      [messageIds],
    );
    expect(Number(rows[0].n)).toBe(messageIds.length);
    // Each credit announced exactly once (the first replica's outbox drained at shutdown and
    // nothing it published is published again).
    const credited = await eventually(() => {
      const found = probe.find(
        Topics.WalletCredited,
        (v: { payload?: { ownerId?: string } }) => v.payload?.ownerId === beneficiary,
      );
      expect(found).toHaveLength(rewardIds.length);
      return found;
    });
    await sleep(500);
    const sources = credited.map(
      (m) => (JSON.parse(m.value) as { payload: { sourceId: string } }).payload.sourceId,
    );
    expect(new Set(sources)).toEqual(new Set(rewardIds));
    expect(
      probe.find(
        Topics.WalletCredited,
        (v: { payload?: { ownerId?: string } }) => v.payload?.ownerId === beneficiary,
      ),
    ).toHaveLength(rewardIds.length);
    expect(await balance()).toBe(expected);
  });
});
