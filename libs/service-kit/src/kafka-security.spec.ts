import { ConfigError, loadConfig } from './config';
import { DataServiceConfig } from './data-service-config';
import { kafkaSecurity } from './kafka-security';

const BASE = {
  DATABASE_URL: 'postgres://svc_wallet:pw@db:5432/rewards',
  KAFKA_BROKERS: 'rewards-kafka-bootstrap:9093',
  INTERNAL_AUTH_KEY: 'k'.repeat(32),
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe(kafkaSecurity.name, () => {
  it('connects in plaintext without credentials by default', () => {
    expect(kafkaSecurity(loadConfig(DataServiceConfig, BASE))).toEqual({});
  });

  it('uses TLS with the CA file and SCRAM-SHA-512 credentials of the Kafka user', () => {
    const config = loadConfig(DataServiceConfig, {
      ...BASE,
      NODE_ENV: 'production',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/etc/kafka-ca/ca.crt',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'wallet',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    const read = jest.fn().mockReturnValue(PEM);

    expect(kafkaSecurity(config, read)).toEqual({
      ssl: { ca: [PEM] },
      sasl: { mechanism: 'scram-sha-512', username: 'wallet', password: 's3cret' },
    });
    expect(read).toHaveBeenCalledWith('/etc/kafka-ca/ca.crt');
  });

  it('stops the boot naming the CA file it cannot read', () => {
    const config = loadConfig(DataServiceConfig, {
      ...BASE,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/missing/ca.crt',
    });
    const read = () => {
      throw new Error('ENOENT');
    };

    expect(() => kafkaSecurity(config, read)).toThrow(ConfigError);
    expect(() => kafkaSecurity(config, read)).toThrow(/KAFKA_SSL_CA_FILE .*\/missing\/ca.crt/);
    expect(() => kafkaSecurity(config, () => 'not a certificate')).toThrow(/no PEM certificate/);
  });
});

describe('DataServiceConfig Kafka security', () => {
  it('requires the username and password with a SASL mechanism', () => {
    expect(() =>
      loadConfig(DataServiceConfig, { ...BASE, KAFKA_SASL_MECHANISM: 'scram-sha-512' }),
    ).toThrow(/KAFKA_SASL_USERNAME \(missing\)[\s\S]*KAFKA_SASL_PASSWORD \(missing\)/);
  });

  it('refuses an unknown mechanism', () => {
    expect(() =>
      loadConfig(DataServiceConfig, {
        ...BASE,
        KAFKA_SASL_MECHANISM: 'gssapi',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toThrow(/KAFKA_SASL_MECHANISM \(got "gssapi"\)/);
  });

  it('refuses sending SASL credentials in plaintext in production', () => {
    const env = {
      ...BASE,
      NODE_ENV: 'production',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'wallet',
      KAFKA_SASL_PASSWORD: 's3cret',
    };

    expect(() => loadConfig(DataServiceConfig, env)).toThrow(/KAFKA_SSL must be true/);
    expect(loadConfig(DataServiceConfig, { ...env, KAFKA_SSL: 'true' }).KAFKA_SSL).toBe(true);
  });
});
