import 'reflect-metadata';
import { loadConfig, runService } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { mapBookingsError } from './bookings-error';
import { BookingsConfig } from './config/bookings.config';

async function main(): Promise<void> {
  const config = loadConfig(BookingsConfig);
  await runService({
    name: 'bookings',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    mapDomainError: mapBookingsError,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
