import { ConfigError, loadConfig } from '@rewards/service-kit';
import { PayoutsConfig } from './payouts.config';

const env = {
  DATABASE_URL: 'postgres://svc_payouts:secret@127.0.0.1:5432/rewards',
  KAFKA_BROKERS: '127.0.0.1:9092',
  STRIPE_SECRET_KEY: 'sk_test_abc',
  STRIPE_WEBHOOK_SECRET: 'whsec_abc',
};

describe(PayoutsConfig.name, () => {
  it('applies the documented defaults when only the required variables are set', () => {
    const config = loadConfig(PayoutsConfig, env);

    expect(config).toMatchObject({
      PORT: 3004,
      HOST: '127.0.0.1',
      BOOKINGS_URL: 'http://127.0.0.1:3001',
      STRIPE_API_URL: undefined,
      PAYOUT_SWEEP_INTERVAL_MS: 900_000,
      PAYOUT_RETRY_INTERVAL_MS: 3_600_000,
      PAYOUT_RETRY_WINDOW_MS: 604_800_000,
    });
  });

  it.each(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'])('refuses to boot without %s', (name) => {
    const incomplete: Record<string, string> = { ...env };
    delete incomplete[name];

    expect(() => loadConfig(PayoutsConfig, incomplete)).toThrow(ConfigError);
    expect(() => loadConfig(PayoutsConfig, incomplete)).toThrow(name);
  });

  it('refuses a publishable key where the secret key belongs', () => {
    expect(() => loadConfig(PayoutsConfig, { ...env, STRIPE_SECRET_KEY: 'pk_test_abc' })).toThrow(
      'STRIPE_SECRET_KEY',
    );
  });

  it('reads the Stripe API URL and intervals from the environment', () => {
    const config = loadConfig(PayoutsConfig, {
      ...env,
      STRIPE_API_URL: 'http://127.0.0.1:12111',
      PAYOUT_RETRY_INTERVAL_MS: '60000',
    });

    expect(config.STRIPE_API_URL).toBe('http://127.0.0.1:12111');
    expect(config.PAYOUT_RETRY_INTERVAL_MS).toBe(60_000);
  });
});
