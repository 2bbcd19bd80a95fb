import { ConsoleLogger, DynamicModule, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startInboxTransport } from '@rewards/messaging';
import { BaseServiceConfig, loadConfig, LogLevelName } from './config';
import { DomainErrorMapper, ErrorFilter } from './errors';
import { createValidationPipe } from './validation';

const LEVELS: Record<LogLevelName, LogLevel[]> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

export function jsonLogger(service: string, level: LogLevelName): ConsoleLogger {
  return new ConsoleLogger(service, { json: true, logLevels: LEVELS[level] });
}

/** Applies what every service's HTTP surface shares: validation, error mapping, shutdown. */
export function configureHttp(app: INestApplication, mapDomainError?: DomainErrorMapper): void {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter(mapDomainError));
  app.enableShutdownHooks();
}

export async function runService(options: {
  name: string;
  module: DynamicModule;
  port: number;
  host: string;
  logLevel: LogLevelName;
  mapDomainError?: DomainErrorMapper;
}): Promise<INestApplication> {
  const logger = jsonLogger(options.name, options.logLevel);
  // Nest's default (abortOnError) exits the process on the first failed app.get(), before the
  // caller's catch runs: a service without messaging (the gateway) died in startInboxTransport.
  const app = await NestFactory.create(options.module, {
    logger,
    bufferLogs: true,
    abortOnError: false,
    // Keeps the exact bytes of JSON bodies (req.rawBody): a signed webhook is verified on them.
    rawBody: true,
  });
  configureHttp(app, options.mapDomainError);
  await startInboxTransport(app);
  await app.listen(options.port, options.host);
  logger.log(`${options.name} listening on http://${options.host}:${options.port}`);
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
}): void {
  const start = async () => {
    const config = loadConfig(options.config);
    await runService({
      name: options.name,
      module: options.module(config),
      port: config.PORT,
      host: config.HOST,
      logLevel: config.LOG_LEVEL,
      mapDomainError: options.mapDomainError,
    });
  };
  start().catch((err: unknown) => {
    jsonLogger(options.name, 'error').fatal(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
