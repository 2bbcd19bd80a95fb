import { FAKE_STRIPE_SECRET_KEY, planPlatform } from './platform-env';
import { RunningInfrastructure, platformSettings } from './platform-settings';

const secrets = {
  JWT_SECRET: 'j'.repeat(48),
  CHECKOUT_QUOTE_SECRET: 'q'.repeat(48),
  STRIPE_WEBHOOK_SECRET: 'whsec_local',
};
const databaseUrls = {
  bookings: 'postgres://svc_bookings:b@127.0.0.1:5432/rewards',
  referrals: 'postgres://svc_referrals:r@127.0.0.1:5432/rewards',
  wallet: 'postgres://svc_wallet:w@127.0.0.1:5432/rewards',
  payouts: 'postgres://svc_payouts:p@127.0.0.1:5432/rewards',
};

describe(platformSettings.name, () => {
  it('points payouts at the fake Stripe, with the stored webhook secret, when it runs', () => {
    const infra: RunningInfrastructure = {
      databaseUrls,
      kafkaBrokers: '127.0.0.1:40000',
      fakeStripeUrl: 'http://127.0.0.1:12111',
    };

    const settings = platformSettings(planPlatform({}), {}, secrets, infra);

    expect(settings.envOf('payouts')).toMatchObject({
      STRIPE_SECRET_KEY: FAKE_STRIPE_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: 'whsec_local',
      STRIPE_API_URL: 'http://127.0.0.1:12111',
      KAFKA_BROKERS: '127.0.0.1:40000',
      DATABASE_URL: databaseUrls.payouts,
    });
  });

  it('passes the real Stripe settings from the environment when there is no fake', () => {
    const env = { STRIPE_SECRET_KEY: 'sk_test_real', STRIPE_WEBHOOK_SECRET: 'whsec_real' };
    const infra: RunningInfrastructure = {
      databaseUrls,
      kafkaBrokers: 'k1:9092',
      fakeStripeUrl: undefined,
    };

    const settings = platformSettings(planPlatform(env), env, secrets, infra);

    expect(settings.stripe).toEqual({
      secretKey: 'sk_test_real',
      webhookSecret: 'whsec_real',
      apiUrl: undefined,
    });
    expect(settings.envOf('payouts')).not.toHaveProperty('STRIPE_API_URL');
    expect(settings.envOf('gateway').JWT_SECRET).toBe(secrets.JWT_SECRET);
  });
});
