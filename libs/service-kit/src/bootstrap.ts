import { ConsoleLogger, DynamicModule, INestApplication, LogLevel, Module } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { startInboxTransport } from '@rewards/messaging';
import { BaseServiceConfig, LogLevelName } from './base-service-config';
import { loadConfig } from './config';
import { DomainErrorMapper, ErrorFilter } from './errors';
import { httpMetricsMiddleware, MetricsModule, ServiceMetrics } from './metrics';
import {
  closeConnectionsWhenDraining,
  LifecycleModule,
  ServiceLifecycle,
  stopOnSignals,
} from './lifecycle';
import {
  createHttpAdapter,
  HTTP_MIDDLEWARE,
  httpPlatformOf,
  useRawMiddleware,
  type HttpPlatform,
  type RawMiddleware,
} from './http-platform';
import { requestContext, StructuredLogger } from './logging';
import { RequestShapeGuard } from './request-shape';
import { traceRequests } from './tracing/trace-requests';
import { createValidationPipe } from './validation';

const LEVELS: Record<LogLevelName, LogLevel[]> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

export function jsonLogger(service: string, level: LogLevelName): ConsoleLogger {
  return new StructuredLogger(service, LEVELS[level]);
}

/**
 * Applies what every service's HTTP surface shares: request ids, request metrics, request shape
 * checks, validation, error mapping, connections closed while draining, on Express or Fastify
 * alike (the app's own adapter decides). Request metrics and draining need the modules
 * withMetrics adds (runService and the test kit use it). Signals are runService's business
 * (stopOnSignals).
 */
export function configureHttp(
  app: INestApplication,
  mapDomainError?: DomainErrorMapper,
  service = 'unknown',
  /** accessLog: one debug line per request (runService: only when LOG_LEVEL=debug). */
  options: { accessLog?: boolean } = {},
): void {
  const middleware: RawMiddleware[] = [];
  const lifecycle = providerOf(app, ServiceLifecycle);
  if (lifecycle) middleware.push(closeConnectionsWhenDraining(lifecycle));
  middleware.push(requestContext(), traceRequests(service, options));
  const metrics = providerOf(app, ServiceMetrics);
  if (metrics) middleware.push(httpMetricsMiddleware(metrics));
  middleware.push(...(providerOf<RawMiddleware[]>(app, HTTP_MIDDLEWARE) ?? []));
  useRawMiddleware(app, middleware);
  app.useGlobalGuards(new RequestShapeGuard());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter(mapDomainError));
}

/**
 * The provider if some module declares it. Asked through the root ModuleRef, not app.get: with
 * abortOnError off, Nest's app proxy logs an ExceptionHandler error for a missing provider before
 * rethrowing it, and most services have no HTTP_MIDDLEWARE.
 */
function providerOf<T>(
  app: INestApplication,
  type: symbol | (new (...args: never[]) => T),
): T | undefined {
  const modules = app.get(ModuleRef);
  try {
    return modules.get<unknown, T>(type, { strict: false });
  } catch {
    return undefined;
  }
}

@Module({})
class ServiceRootModule {}

/** The service's root module plus the app-wide metrics registry and shutdown state. */
export function withMetrics(module: DynamicModule): DynamicModule {
  return { module: ServiceRootModule, imports: [module, MetricsModule, LifecycleModule] };
}

export async function runService(options: {
  name: string;
  module: DynamicModule;
  port: number;
  host: string;
  /** Port of GET /metrics (Prometheus), apart from the service's HTTP port. */
  metricsPort: number;
  logLevel: LogLevelName;
  mapDomainError?: DomainErrorMapper;
  /** The HTTP server; by default the one the module declares (ServesHttpOn), else Express. */
  http?: HttpPlatform;
}): Promise<INestApplication> {
  const logger = jsonLogger(options.name, options.logLevel);
  const adapter = createHttpAdapter(options.http ?? httpPlatformOf(options.module));
  // Nest's default (abortOnError) exits the process on the first failed app.get(), before the
  // caller's catch runs: a service without messaging (the gateway) died in startInboxTransport.
  const app = await NestFactory.create(withMetrics(options.module), adapter, {
    logger,
    bufferLogs: true,
    abortOnError: false,
    // Keeps the exact bytes of JSON bodies (req.rawBody): a signed webhook is verified on them.
    rawBody: true,
  });
  configureHttp(app, options.mapDomainError, options.name, {
    accessLog: options.logLevel === 'debug',
  });
  await startInboxTransport(app);
  await app.listen(options.port, options.host);
  const metricsUrl = await app.get(ServiceMetrics).listen(options.metricsPort, options.host);
  stopOnSignals(app, logger);
  logger.log(`${options.name} listening on http://${options.host}:${options.port}`);
  logger.log(`${options.name} metrics on ${metricsUrl}`);
  return app;
}

/**
 * A service's whole `main`: validates its environment, boots it, and exits non-zero with the
 * reason (e.g. every missing variable) when it cannot start.
 */
export function serviceMain<C extends BaseServiceConfig>(options: {
  name: string;
  config: new () => C;
  module: (config: C) => DynamicModule;
  mapDomainError?: DomainErrorMapper;
  /** The HTTP server; by default the one the module declares (ServesHttpOn), else Express. */
  http?: HttpPlatform;
}): void {
  const start = async () => {
    const config = loadConfig(options.config);
    await runService({
      name: options.name,
      module: options.module(config),
      port: config.PORT,
      host: config.HOST,
      metricsPort: config.METRICS_PORT,
      logLevel: config.LOG_LEVEL,
      mapDomainError: options.mapDomainError,
      http: options.http,
    });
  };
  start().catch((err: unknown) => {
    jsonLogger(options.name, 'error').fatal(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
