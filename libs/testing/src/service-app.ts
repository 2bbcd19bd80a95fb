import { DynamicModule, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { configureHttp, DomainErrorMapper, jsonLogger } from '@rewards/service-kit';
import { startInboxTransport } from '@rewards/messaging';
import { DataSource } from 'typeorm';

export interface RunningServiceApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Runs a service's root module over real HTTP on 127.0.0.1, the way main.ts would. */
export async function startServiceApp(
  module: DynamicModule,
  mapDomainError?: DomainErrorMapper,
  port = 0,
): Promise<RunningServiceApp> {
  const ref = await Test.createTestingModule({ imports: [module] }).compile();
  const app = ref.createNestApplication({
    logger: jsonLogger('test', 'warn'),
    // As runService does: signed webhooks are verified on the exact bytes.
    rawBody: true,
  });
  configureHttp(app, mapDomainError);
  await startInboxTransport(app);
  await app.listen(port, '127.0.0.1');
  const url = await app.getUrl();
  return { app, url: url.replace('[::1]', '127.0.0.1'), close: () => app.close() };
}

/** Applies a service's migrations with its own DataSource, as its `migrate` command does. */
export async function migrate(dataSource: DataSource): Promise<void> {
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
