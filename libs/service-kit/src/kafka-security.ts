import { readFileSync } from 'node:fs';
import type { KafkaSecurity } from '@rewards/messaging';
import { ConfigError } from './config';
import { DataServiceConfig } from './data-service-config';

type SecurityConfig = Pick<
  DataServiceConfig,
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
>;

/**
 * The Kafka client's TLS and SASL settings from validated config. Reads the CA file at boot, so
 * a missing or unreadable certificate stops the service with the path rather than failing every
 * connection later.
 */
export function kafkaSecurity(
  config: SecurityConfig,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (config.KAFKA_SSL) {
    let ca: string[] | undefined;
    if (config.KAFKA_SSL_CA_FILE) {
      try {
        ca = [readFile(config.KAFKA_SSL_CA_FILE)];
      } catch (err) {
        throw new ConfigError([
          `KAFKA_SSL_CA_FILE (got "${config.KAFKA_SSL_CA_FILE}"): cannot be read: ${String(err)}`,
        ]);
      }
      if (!ca[0].includes('BEGIN CERTIFICATE')) {
        throw new ConfigError([
          `KAFKA_SSL_CA_FILE (got "${config.KAFKA_SSL_CA_FILE}"): no PEM certificate in it`,
        ]);
      }
    }
    security.ssl = { ca };
  }
  if (config.KAFKA_SASL_MECHANISM) {
    const credentials = {
      username: config.KAFKA_SASL_USERNAME ?? '',
      password: config.KAFKA_SASL_PASSWORD ?? '',
    };
    switch (config.KAFKA_SASL_MECHANISM) {
      case 'scram-sha-512':
        security.sasl = { mechanism: 'scram-sha-512', ...credentials };
        break;
      case 'scram-sha-256':
        security.sasl = { mechanism: 'scram-sha-256', ...credentials };
        break;
      case 'plain':
        security.sasl = { mechanism: 'plain', ...credentials };
        break;
    }
  }
  return security;
}
