import { ConfigError, loadConfig } from '@rewards/service-kit';
import { PayoutsConfig } from './payouts.config';

const env = {
  DATABASE_URL: 'postgres://svc_payouts:secret@127.0.0.1:5432/rewards',
  KAFKA_BROKERS: '127.0.0.1:9092',
  STRIPE_SECRET_KEY: 'sk_test_abc',
  STRIPE_WEBHOOK_SECRET: 'whsec_abc',
  INTERNAL_AUTH_KEY: 'test-only-internal-key-of-at-least-32-chars',
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
      PAYOUT_LEASE_MS: 20_000,
      PAYOUT_RESUME_INTERVAL_MS: 5_000,
      PAYOUT_RESUME_MAX_BACKOFF_MS: 50_000,
      PAYOUT_RETRY_INTERVAL_MS: 3_600_000,
      PAYOUT_RETRY_WINDOW_MS: 604_800_000,
      PAYOUT_MAX_CONCURRENT_ATTEMPTS: 8,
    });
  });

  it.each(['0', '101', 'many'])('refuses PAYOUT_MAX_CONCURRENT_ATTEMPTS=%s', (value) => {
    expect(() =>
      loadConfig(PayoutsConfig, { ...env, PAYOUT_MAX_CONCURRENT_ATTEMPTS: value }),
    ).toThrow('PAYOUT_MAX_CONCURRENT_ATTEMPTS');
  });

  it.each(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'INTERNAL_AUTH_KEY'])(
    'refuses to boot without %s',
    (name) => {
      const incomplete: Record<string, string> = { ...env };
      delete incomplete[name];

      expect(() => loadConfig(PayoutsConfig, incomplete)).toThrow(ConfigError);
      expect(() => loadConfig(PayoutsConfig, incomplete)).toThrow(name);
    },
  );

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

  it('resumes an interrupted attempt within a minute by default', () => {
    const config = loadConfig(PayoutsConfig, env);

    expect(config.PAYOUT_RESUME_MAX_BACKOFF_MS + config.PAYOUT_RESUME_INTERVAL_MS).toBeLessThan(
      60_000,
    );
  });

  it('reads the lease and resume settings from the environment', () => {
    const config = loadConfig(PayoutsConfig, {
      ...env,
      PAYOUT_LEASE_MS: '5000',
      PAYOUT_RESUME_INTERVAL_MS: '100',
      PAYOUT_RESUME_MAX_BACKOFF_MS: '5000',
      PAYOUT_RETRY_INTERVAL_MS: '5000',
    });

    expect(config).toMatchObject({
      PAYOUT_LEASE_MS: 5_000,
      PAYOUT_RESUME_INTERVAL_MS: 100,
      PAYOUT_RESUME_MAX_BACKOFF_MS: 5_000,
      PAYOUT_RETRY_INTERVAL_MS: 5_000,
    });
  });

  it.each([
    ['PAYOUT_RETRY_INTERVAL_MS', { PAYOUT_LEASE_MS: '30000', PAYOUT_RETRY_INTERVAL_MS: '20000' }],
    ['PAYOUT_RESUME_MAX_BACKOFF_MS', { PAYOUT_LEASE_MS: '60000' }],
  ])('refuses to boot when %s is shorter than the lease', (name, overrides) => {
    const load = () => loadConfig(PayoutsConfig, { ...env, ...overrides });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`${name} .*must not be shorter than PAYOUT_LEASE_MS`));
  });

  it('refuses a lease too short for one attempt', () => {
    expect(() => loadConfig(PayoutsConfig, { ...env, PAYOUT_LEASE_MS: '1000' })).toThrow(
      'PAYOUT_LEASE_MS',
    );
  });
});
