import { DynamicModule, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  configureHttp,
  createHttpAdapter,
  DomainErrorMapper,
  httpPlatformOf,
  type HttpPlatform,
  jsonLogger,
  LOG_LEVELS,
  LogLevelName,
  ServiceMetrics,
  withMetrics,
} from '@rewards/service-kit';
import { startInboxTransport } from '@rewards/messaging';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { testOwnerUrl } from './test-infra';

export interface RunningServiceApp {
  app: INestApplication;
  url: string;
  /** GET /metrics of this app (its own port). */
  metricsUrl: string;
  close(): Promise<void>;
}

function testLogLevel(): LogLevelName {
  const level = process.env.TEST_LOG_LEVEL ?? 'warn';
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevelName) : 'warn';
}

/** Runs a service's root module over real HTTP on 127.0.0.1, the way main.ts would. */
export async function startServiceApp(
  module: DynamicModule,
  mapDomainError?: DomainErrorMapper,
  port = 0,
  /** Names the app's spans (rewards.service), as runService does with the service's name. */
  service?: string,
  /** The HTTP server; by default the one the module declares (ServesHttpOn), as runService. */
  http: HttpPlatform = httpPlatformOf(module),
): Promise<RunningServiceApp> {
  const ref = await Test.createTestingModule({ imports: [withMetrics(module)] }).compile();
  const app = ref.createNestApplication(createHttpAdapter(http), {
    // TEST_LOG_LEVEL=debug shows every request (tests that read the logs set it).
    logger: jsonLogger(service ?? 'test', testLogLevel()),
    // As runService does: signed webhooks are verified on the exact bytes.
    rawBody: true,
  });
  configureHttp(app, mapDomainError, service);
  await startInboxTransport(app);
  await app.listen(port, '127.0.0.1');
  const url = await app.getUrl();
  const metricsUrl = await app.get(ServiceMetrics).listen(0, '127.0.0.1');
  const close = async () => {
    const server = app.getHttpServer() as Server;
    const closing = app.close();
    // Kept-alive client connections (fetch keeps them) would hold the server, and jest, open.
    server.closeAllConnections();
    await closing;
  };
  return { app, url: url.replace('[::1]', '127.0.0.1'), metricsUrl, close };
}

/**
 * Applies a service's migrations with its own DataSource, as its `migrate` command does: as the
 * owner of the DataSource's schema (the app's runtime role may not change the schema).
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) throw new Error('migrate: the DataSource names no schema');
  dataSource.setOptions({ url: testOwnerUrl(schema) });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
