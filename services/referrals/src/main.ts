import 'reflect-metadata';
import { loadConfig, runService } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { mapReferralsError } from './referrals-error';
import { ReferralsConfig } from './config/referrals.config';

async function main(): Promise<void> {
  const config = loadConfig(ReferralsConfig);
  await runService({
    name: 'referrals',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    mapDomainError: mapReferralsError,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
