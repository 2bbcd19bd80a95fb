import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { EventEnvelope } from '@rewards/contracts';
import {
  eventually,
  KafkaProbe,
  serviceTestEnv,
  testInternalAuthKey,
  type DataService,
  type ProbedMessage,
} from '@rewards/testing';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { renderOverlay } from '../../tools/k8s/render-manifests';
import { spawnService, type ServiceProcess } from '../../tools/local/service-process';
import { httpGet, type LoadOutcome } from './load';

// What a graceful-shutdown drill runs on: built services started as the image starts them, the
// pod's shutdown settings from the rendered prod overlay, a stream of events, a readiness prober.

export type DrilledService = DataService | 'gateway';

const repoRoot = join(__dirname, '..', '..');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let prodOverlay: ReturnType<typeof renderOverlay> | undefined;

/** The pod's shutdown settings, as the prod overlay renders them (rendered once, about 1 s). */
export function shutdownSettings(service: DrilledService): { graceMs: number; preStopMs: number } {
  prodOverlay ??= renderOverlay(repoRoot, 'prod');
  const found = prodOverlay.find((o) => o.kind === 'Deployment' && o.metadata.name === service);
  const pod = new Deployment(found).spec?.template.spec;
  const command = pod?.containers[0].lifecycle?.preStop?.exec?.command ?? [];
  const grace = pod?.terminationGracePeriodSeconds;
  if (command[0] !== 'sleep' || grace === undefined) {
    throw new Error(`${service}: no preStop sleep or terminationGracePeriodSeconds`);
  }
  return { graceMs: grace * 1000, preStopMs: Number(command[1]) * 1000 };
}

/** The gateway's environment in a test: the run's internal key, public routes without limits. */
function gatewayTestEnv(extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    JWT_SECRET: 'drill-secret-that-is-long-enough-for-hs256',
    INTERNAL_AUTH_KEY: testInternalAuthKey(),
    // One client address sends the whole load: the drill is about draining, not rate limits.
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
    ...extra,
  };
}

/** The built services (compiled with the tracing preload, as the image runs them). */
export class ServiceProcesses {
  private readonly started: ServiceProcess[] = [];

  constructor(private readonly logDir: string) {}

  /** Skipped (about 1 s) when dist is newer than every source, as after `npm run build`. */
  static build(): void {
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json'],
      { cwd: repoRoot, stdio: 'inherit' },
    );
  }

  /** Starts one replica on `port` and resolves once it reports ready. */
  async start(
    service: DrilledService,
    port: number,
    note: string,
    extraEnv: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    const own = {
      PORT: String(port),
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...extraEnv,
    };
    const p = spawnService({
      name: service,
      script: join(repoRoot, `dist/services/${service}/src/main.js`),
      env: {
        PATH: process.env.PATH ?? '',
        ...(service === 'gateway' ? gatewayTestEnv(own) : serviceTestEnv(service, own)),
      },
      cwd: repoRoot,
      logFile: join(this.logDir, `${service}.log`),
      startNote: note,
      onErrorLine: () => undefined,
    });
    this.started.push(p);
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

  async stopAll(): Promise<void> {
    for (const p of this.started.splice(0)) await p.stop(2000);
  }
}

/** Produces events one after another until stopped; `events` holds those the broker took. */
export class EventStream {
  readonly events: Array<EventEnvelope<object>> = [];
  private producing = true;
  private readonly done: Promise<void>;

  constructor(probe: KafkaProbe, next: () => EventEnvelope<object>, intervalMs: number) {
    this.done = (async () => {
      while (this.producing) {
        const event = next();
        await probe.produce(event.type, event.key, JSON.stringify(event));
        this.events.push(event);
        await sleep(intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.producing = false;
    await this.done;
  }
}

/** Probes /health/ready as the kubelet does, a new connection each time, until stopped. */
export class ReadinessProber {
  readonly outcomes: LoadOutcome[] = [];
  private probing = true;
  private readonly done: Promise<void>;

  constructor(base: string) {
    this.done = (async () => {
      while (this.probing) {
        const startedAt = Date.now();
        const outcome = await httpGet(new URL(`${base}/health/ready`), {}, false);
        this.outcomes.push({ startedAt, endedAt: Date.now(), ...outcome });
        await sleep(20);
      }
    })();
  }

  async stop(): Promise<void> {
    this.probing = false;
    await this.done;
  }
}

/**
 * How many times each value was published, keyed by `keyOf` (e.g. the entity an event is about):
 * distinct broker positions, so a probe that reads a message again does not count it twice.
 */
export function publications(
  messages: ProbedMessage[],
  keyOf: (value: { payload: Record<string, unknown> }) => string,
): Map<string, number> {
  const positions = new Map<string, Set<string>>();
  for (const m of messages) {
    const key = keyOf(JSON.parse(m.value) as { payload: Record<string, unknown> });
    const seen = positions.get(key) ?? new Set<string>();
    seen.add(`${m.partition}:${m.offset}`);
    positions.set(key, seen);
  }
  return new Map([...positions].map(([key, seen]) => [key, seen.size]));
}
