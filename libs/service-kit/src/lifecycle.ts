import {
  BeforeApplicationShutdown,
  Global,
  INestApplication,
  Injectable,
  LoggerService,
  Module,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Whether the service is shutting down. Set first on SIGTERM: readiness answers 503 from then
 * on, and every response closes its connection, so keep-alive clients (the gateway, kube-proxy's
 * peers) open a new one to another replica instead of reusing one this process is about to close.
 *
 * The server keeps listening for at least the keep-alive drain after SIGTERM: closing it also
 * closes every idle keep-alive connection at once, and a client that was just sending its next
 * request on one gets a reset instead of an answer. Within the drain, each such client gets its
 * answer and the connection's end. A service whose other shutdown hooks take longer (consumers,
 * outbox) waits no longer for it.
 */
@Injectable()
export class ServiceLifecycle implements BeforeApplicationShutdown {
  private since?: Date;
  private keepAliveDrainEndsAt = 0;

  get draining(): boolean {
    return this.since !== undefined;
  }

  /** When the shutdown began; undefined while serving. */
  get drainingSince(): Date | undefined {
    return this.since;
  }

  beginShutdown(at = new Date(), keepAliveDrainMs = 0): void {
    if (this.since) return;
    this.since = at;
    this.keepAliveDrainEndsAt = Date.now() + keepAliveDrainMs;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const left = this.keepAliveDrainEndsAt - Date.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
}

@Global()
@Module({ providers: [ServiceLifecycle], exports: [ServiceLifecycle] })
export class LifecycleModule {}

/** Answers `Connection: close` once the service drains (requests in flight still complete). */
export function closeConnectionsWhenDraining(lifecycle: ServiceLifecycle) {
  return (_req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (lifecycle.draining) res.setHeader('Connection', 'close');
    next();
  };
}

/**
 * Kubernetes sends SIGTERM after the pod's preStop hook and kills it `terminationGracePeriod`
 * after the hook began; what is left of the period (30 s - 5 s preStop) must cover the drain.
 * Past this, the process exits 1 by itself, saying so, instead of being killed silently.
 */
export const SHUTDOWN_DEADLINE_MS = 20_000;

/** Answers close their connections at least this long after SIGTERM before the server closes. */
export const KEEP_ALIVE_DRAIN_MS = 1_000;

/**
 * Stops the service on SIGTERM or SIGINT, in the order that loses nothing: readiness turns 503
 * at once and answers close their connections; scheduled jobs stop and the consumer finishes its
 * batch, commits and leaves the group; the outbox is published; once the keep-alive drain is over
 * too, the HTTP server stops accepting and waits for requests in flight; the
 * database and the metrics server close. Then the process exits 0 (Nest's own hook re-raises the
 * signal instead, which Kubernetes records as exit code 143).
 */
export function stopOnSignals(
  app: INestApplication,
  logger: LoggerService,
  options: { deadlineMs?: number; keepAliveDrainMs?: number; exit?: (code: number) => void } = {},
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const keepAliveDrainMs = options.keepAliveDrainMs ?? KEEP_ALIVE_DRAIN_MS;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    app.get(ServiceLifecycle).beginShutdown(new Date(), keepAliveDrainMs);
    logger.log(`${signal} received: not ready, draining`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${deadlineMs} ms; exiting`);
      exit(1);
    }, deadlineMs);
    deadline.unref();
    app.close().then(
      () => {
        clearTimeout(deadline);
        logger.log(`stopped in ${Date.now() - started} ms`);
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        logger.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
