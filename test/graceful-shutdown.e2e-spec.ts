import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@rewards/contracts';
import {
  eventually,
  KafkaProbe,
  migrate,
  serviceTestEnv,
  testAdminUrl,
  type DataService,
} from '@rewards/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { bookingsDataSource } from '../services/bookings/src/db/data-source';
import { payoutsDataSource } from '../services/payouts/src/db/data-source';
import { referralsDataSource } from '../services/referrals/src/db/data-source';
import { walletDataSource } from '../services/wallet/src/db/data-source';
import { HttpLoad } from './support/load';
import {
  EventStream,
  freePort,
  ReadinessProber,
  ServiceProcesses,
  shutdownSettings,
  sleep,
} from './support/shutdown-drill';
import { SCENARIOS, type DrillContext } from './support/shutdown-scenarios';

/**
 * A rolling update as Kubernetes does it, on the real service process (built, started as the
 * image starts it): while clients keep calling it and events keep arriving, the pod is deleted,
 * its preStop hook sleeps as the manifest says, then it gets SIGTERM. Nothing it accepted may
 * fail, readiness must turn false before it stops answering, it must exit 0 within what is left
 * of the grace period, and once a new replica has taken over every event and every accepted
 * request has its effect exactly once.
 */
const DATA_SOURCES: Array<[DataService, (url: string) => DataSource]> = [
  ['wallet', walletDataSource],
  ['referrals', referralsDataSource],
  ['bookings', bookingsDataSource],
  ['payouts', payoutsDataSource],
];

describe('graceful shutdown under load', () => {
  let dir: string;
  let processes: ServiceProcesses;
  const probe = new KafkaProbe();
  const db = new Client({ connectionString: testAdminUrl() });
  const ctx = (): DrillContext => ({ probe, db, processes });

  beforeAll(async () => {
    // The process runs what the image runs: the compiled service with the tracing preload.
    ServiceProcesses.build();
    dir = mkdtempSync(join(tmpdir(), 'graceful-shutdown-'));
    processes = new ServiceProcesses(dir);
    for (const [service, dataSource] of DATA_SOURCES) {
      await migrate(dataSource(serviceTestEnv(service).DATABASE_URL));
    }
    await probe.watch([Topics.WalletCredited, Topics.UserRegistered, Topics.PayoutPaid]);
    await db.connect();
  });

  /** Stops a failed drill's producer, clients and fakes before the next one (or the probe) goes. */
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    await processes?.stopAll();
    await probe.close();
    await db.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(SCENARIOS.map((s) => [s.service, s] as const))(
    '%s: drains on SIGTERM with nothing accepted failing and everything done once',
    async (service, scenario) => {
      const { graceMs, preStopMs } = shutdownSettings(service);
      const { env, tearDown } = (await scenario.setUp?.(ctx())) ?? { env: {} };
      if (tearDown) cleanups.push(tearDown);
      const port = await freePort();
      const first = await processes.start(service, port, 'first replica', env);
      const base = `http://127.0.0.1:${port}`;

      // Events: a steady stream from before the shutdown until after the next replica started.
      const stream =
        scenario.events && new EventStream(probe, scenario.events.next, scenario.events.intervalMs);
      if (stream) cleanups.push(() => stream.stop());

      // Requests back to back; readiness probed as the kubelet would, a new connection each time.
      const load = new HttpLoad(base, scenario.request);
      const readiness = new ReadinessProber(base);
      cleanups.push(async () => {
        await readiness.stop();
        await load.stop();
      });

      await sleep(1000);
      // The pod is deleted: the preStop hook runs (the process still serves) while the endpoints
      // controller and kube-proxy take it out of the Service (about a second), then SIGTERM.
      // The rest of the hook is idle time: one second of it is enough (the grace is kept).
      await sleep(1000);
      load.removeFromEndpoints();
      await sleep(Math.min(1000, preStopMs - 1000));
      await scenario.beforeSigterm?.(ctx());
      const sigtermAt = Date.now();
      process.kill(first.pid, 'SIGTERM');
      const exit = await Promise.race([
        first.exited,
        sleep(graceMs - preStopMs).then(() => 'killed by the kubelet' as const),
      ]);
      const exitedAt = Date.now();
      await readiness.stop();
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
      expect(answered.filter((o) => o.status !== scenario.status)).toEqual([]);
      expect(
        load.outcomes.filter((o) => o.status === undefined && o.error !== 'ECONNREFUSED'),
      ).toEqual([]);
      expect(refused.filter((o) => o.startedAt < sigtermAt)).toEqual([]);
      // While draining, answers close their connection: keep-alive clients move on.
      expect(answered.filter((o) => o.startedAt > sigtermAt + 50 && !o.connectionClose)).toEqual(
        [],
      );

      // Readiness: ready until SIGTERM, then 503 (while it still answers), never ready again.
      const probed = readiness.outcomes.filter((o) => o.status !== undefined);
      expect(probed.filter((o) => o.endedAt < sigtermAt).every((o) => o.status === 200)).toBe(true);
      const afterSigterm = probed.filter((o) => o.startedAt > sigtermAt);
      // The server listens at least 1 s after SIGTERM, answering readiness with 503 meanwhile.
      // The signal reaches the process between two callbacks of its event loop, so a probe sent
      // in the same moment may still be answered ready; from the first 503 on, never again.
      const notReadyFrom = afterSigterm.findIndex((o) => o.status === 503);
      expect(notReadyFrom).toBeGreaterThanOrEqual(0);
      expect(afterSigterm.slice(0, notReadyFrom).filter((o) => o.status !== 200)).toEqual([]);
      expect(afterSigterm.slice(notReadyFrom).filter((o) => o.status !== 503)).toEqual([]);

      // The gateway keeps nothing: its drill ends here. Otherwise a new replica takes over; the
      // stream goes on a little, then stops.
      if (!scenario.doneOnce) return;
      const second = await processes.start(service, port, 'second replica', env);
      // Gone before the next drill, which may join its group.
      cleanups.push(() => second.stop());
      await sleep(1000);
      await stream?.stop();
      const events = stream?.events ?? [];
      const run = { events, outcomes: load.outcomes, base, sigtermAt };

      await eventually(() => scenario.doneOnce?.(ctx(), run), {
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
      await scenario.doneOnce(ctx(), run);
    },
  );
});
