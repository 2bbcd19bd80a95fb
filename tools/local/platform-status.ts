// .local/run/platform.json: what a running embedded platform is made of, for tools that drive
// it from outside (a fault-injection harness kills a pid from here and watches it come back).
// Rewritten whole, atomically, on every change; no secrets in it.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExitInfo } from './process-control';

export type OrchestratorState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
export type ServiceState = 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped';
export type InfraState = 'running' | 'restarting' | 'stopped' | 'external';

export interface LastExit {
  code: number | null;
  signal: string | null;
  at: string;
}

export interface ServiceStatus {
  name: string;
  pid: number | null;
  port: number;
  url: string;
  state: ServiceState;
  restarts: number;
  lastExit: LastExit | null;
  log: string;
}

export interface InfraStatus {
  /** False when the platform uses one given by the environment (it then has no pid here). */
  embedded: boolean;
  state: InfraState;
  /** The launcher process; it leads a process group that holds everything it started. */
  pid: number | null;
  processGroup: number | null;
  restarts: number;
  lastExit: LastExit | null;
}

interface PostgresStatus extends InfraStatus {
  /** The server itself, a member of `processGroup` (kill -9 it to simulate a database crash). */
  postmasterPid: number | null;
  /** host:port; the admin password stays in .local/secrets.json. */
  address: string | null;
  /** The database the services' schemas live in. */
  database: string | null;
  dataDir: string | null;
}

interface KafkaStatus extends InfraStatus {
  brokers: string;
}

interface FakeStripeStatus extends InfraStatus {
  url: string | null;
  stateFile: string | null;
}

export interface InfrastructureStatus {
  postgres: PostgresStatus;
  kafka: KafkaStatus;
  fakeStripe: FakeStripeStatus;
}

export interface PlatformStatus {
  schemaVersion: 1;
  updatedAt: string;
  orchestrator: { pid: number; state: OrchestratorState; startedAt: string };
  gatewayUrl: string;
  fakeStripeUrl: string | null;
  kafkaBrokers: string;
  /** Signals the orchestrator pid understands. */
  signals: Record<string, string>;
  services: ServiceStatus[];
  infrastructure: InfrastructureStatus;
}

export const STATUS_SIGNALS: Readonly<Record<string, string>> = {
  SIGINT: 'stop everything: gateway, data services, then infrastructure; exit 0',
  SIGTERM: 'same as SIGINT',
  SIGUSR2: 'restart the embedded Kafka broker on the same address (messages are lost)',
};

export function lastExit(exit: ExitInfo, at: Date): LastExit {
  return { code: exit.code, signal: exit.signal, at: at.toISOString() };
}

/** The status of an infrastructure piece the environment provides (DATABASE_URL, ...). */
export function externalInfra(): InfraStatus {
  return {
    embedded: false,
    state: 'external',
    pid: null,
    processGroup: null,
    restarts: 0,
    lastExit: null,
  };
}

/** Write to a temp file, then rename: a reader never sees half a file. */
export function writeStatusFile(path: string, status: PlatformStatus): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(temp, path);
}
