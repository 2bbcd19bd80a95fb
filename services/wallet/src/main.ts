import 'reflect-metadata';
import { loadConfig, runService } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { WalletConfig } from './config/wallet.config';
import { mapWalletError } from './wallet-error';

async function main(): Promise<void> {
  const config = loadConfig(WalletConfig);
  await runService({
    name: 'wallet',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    mapDomainError: mapWalletError,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
