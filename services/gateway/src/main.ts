import { jsonLogger, loadConfig, runService } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';
import { mapBodyParserError } from './http/body-errors';

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfig);
  await runService({
    name: 'gateway',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    mapDomainError: mapBodyParserError,
  });
}

main().catch((err: unknown) => {
  // A ConfigError's message lists every bad variable; say it and exit non-zero.
  jsonLogger('gateway', 'error').fatal(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
