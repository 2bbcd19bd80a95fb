import { Global, INestApplication, Injectable, LoggerService, Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * Whether the service is shutting down. Set first on SIGTERM: readiness answers 503 from then
 * on, and every response closes its connection, so keep-alive clients (the gateway, kube-proxy's
 * peers) open a new one to another replica instead of reusing one this process is about to close.
 */
@Injectable()
export class ServiceLifecycle {
  private since?: Date;

  get draining(): boolean {
    return this.since !== undefined;
  }

  /** When the shutdown began; undefined while serving. */
  get drainingSince(): Date | undefined {
    return this.since;
  }

  beginShutdown(at = new Date()): void {
    this.since ??= at;
  }
}

@Global()
@Module({ providers: [ServiceLifecycle], exports: [ServiceLifecycle] })
export class LifecycleModule {}

/** Answers `Connection: close` once the service drains (requests in flight still complete). */
export function closeConnectionsWhenDraining(lifecycle: ServiceLifecycle) {
  return (_req: Request, res: Response, next: NextFunction): void => {
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

/**
 * Stops the service on SIGTERM or SIGINT, in the order that loses nothing: readiness turns 503
 * at once; scheduled jobs stop and the consumer finishes its batch, commits and leaves the group;
 * the outbox is published; the HTTP server stops accepting and waits for requests in flight; the
 * database and the metrics server close. Then the process exits 0 (Nest's own hook re-raises the
 * signal instead, which Kubernetes records as exit code 143).
 */
export function stopOnSignals(
  app: INestApplication,
  logger: LoggerService,
  options: { deadlineMs?: number; exit?: (code: number) => void } = {},
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    app.get(ServiceLifecycle).beginShutdown();
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
