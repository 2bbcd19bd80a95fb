import 'reflect-metadata';
import { loadConfig, runService } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { PayoutsConfig } from './config/payouts.config';
import { mapPayoutsError } from './payouts-error';

async function main(): Promise<void> {
  const config = loadConfig(PayoutsConfig);
  await runService({
    name: 'payouts',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    mapDomainError: mapPayoutsError,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
