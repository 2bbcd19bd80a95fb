import 'reflect-metadata';
import { serviceMain } from '@rewards/service-kit';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';
import { mapBodyParserError } from './http/body-errors';

serviceMain({
  name: 'gateway',
  config: GatewayConfig,
  module: (config) => AppModule.forRoot(config),
  mapDomainError: mapBodyParserError,
});
