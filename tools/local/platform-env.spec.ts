import { resolveSecrets } from './local-secrets';
import {
  DEFAULT_PORTS,
  PlatformSettings,
  buildServiceEnv,
  errorLineText,
  formatReadySummary,
  formatStatusLine,
  planPlatform,
  platformLocalDir,
  resolvePorts,
  shownPath,
} from './platform-env';
import { relocatedDataName } from './postgres-home';

const settings: PlatformSettings = {
  ports: { gateway: 4000, bookings: 4001, referrals: 4002, wallet: 4003, payouts: 4004 },
  databaseUrls: {
    bookings: 'postgres://svc_bookings:b@127.0.0.1:5432/rewards',
    referrals: 'postgres://svc_referrals:r@127.0.0.1:5432/rewards',
    wallet: 'postgres://svc_wallet:w@127.0.0.1:5432/rewards',
    payouts: 'postgres://svc_payouts:p@127.0.0.1:5432/rewards',
  },
  kafkaBrokers: '127.0.0.1:9092',
  jwtSecret: 'j'.repeat(48),
  checkoutQuoteSecret: 'q'.repeat(48),
  internalAuthKey: 'k'.repeat(48),
  stripe: { secretKey: 'sk_test_x', webhookSecret: 'whsec_x', apiUrl: 'http://127.0.0.1:12111' },
};

describe(resolvePorts.name, () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(resolvePorts({})).toEqual({
      gateway: 3000,
      bookings: 3001,
      referrals: 3002,
      wallet: 3003,
      payouts: 3004,
    });
  });

  it('takes <SERVICE>_PORT overrides', () => {
    expect(resolvePorts({ GATEWAY_PORT: '8080', WALLET_PORT: '8083' })).toEqual({
      ...DEFAULT_PORTS,
      gateway: 8080,
      wallet: 8083,
    });
  });

  it('refuses a value that is not a port', () => {
    expect(() => resolvePorts({ BOOKINGS_PORT: 'abc' })).toThrow(/BOOKINGS_PORT/);
    expect(() => resolvePorts({ BOOKINGS_PORT: '70000' })).toThrow(/BOOKINGS_PORT/);
  });

  it('refuses two services on one port', () => {
    expect(() => resolvePorts({ PAYOUTS_PORT: '3000' })).toThrow(/gateway and payouts/);
  });
});

describe(planPlatform.name, () => {
  it('embeds everything and stores every secret when the environment is empty', () => {
    const plan = planPlatform({});

    expect(plan).toMatchObject({
      embeddedPostgres: true,
      embeddedKafka: true,
      fakeStripe: true,
      fakeStripePort: 12111,
      partitions: 3,
      replicationFactor: 1,
    });
    expect(plan.secretNames).toEqual([
      'JWT_SECRET',
      'CHECKOUT_QUOTE_SECRET',
      'INTERNAL_AUTH_KEY',
      'BOOKINGS_DB_PASSWORD',
      'BOOKINGS_DB_OWNER_PASSWORD',
      'REFERRALS_DB_PASSWORD',
      'REFERRALS_DB_OWNER_PASSWORD',
      'WALLET_DB_PASSWORD',
      'WALLET_DB_OWNER_PASSWORD',
      'PAYOUTS_DB_PASSWORD',
      'PAYOUTS_DB_OWNER_PASSWORD',
      'POSTGRES_ADMIN_PASSWORD',
      'STRIPE_WEBHOOK_SECRET',
    ]);
  });

  it('uses what the environment provides instead of embedding it', () => {
    const plan = planPlatform({
      DATABASE_URL: 'postgres://admin@db/rewards',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      STRIPE_SECRET_KEY: 'sk_test_real',
      STRIPE_WEBHOOK_SECRET: 'whsec_real',
      KAFKA_TOPIC_PARTITIONS: '6',
      KAFKA_TOPIC_REPLICATION_FACTOR: '3',
    });

    expect(plan).toMatchObject({
      embeddedPostgres: false,
      embeddedKafka: false,
      fakeStripe: false,
      partitions: 6,
      replicationFactor: 3,
    });
    expect(plan.secretNames).not.toContain('POSTGRES_ADMIN_PASSWORD');
    expect(plan.secretNames).not.toContain('STRIPE_WEBHOOK_SECRET');
  });

  it('picks a free port for the embedded broker unless KAFKA_MOCK_PORT fixes one', () => {
    expect(planPlatform({}).kafkaMockPort).toBeUndefined();
    expect(planPlatform({ KAFKA_MOCK_PORT: '19092' }).kafkaMockPort).toBe(19092);
    expect(() => planPlatform({ KAFKA_MOCK_PORT: 'kafka' })).toThrow(/KAFKA_MOCK_PORT/);
  });

  it('refuses a real Stripe key without its webhook secret', () => {
    expect(() => planPlatform({ STRIPE_SECRET_KEY: 'sk_test_real' })).toThrow(
      /STRIPE_WEBHOOK_SECRET/,
    );
  });

  it('refuses a partition count that is not a positive integer', () => {
    expect(() => planPlatform({ KAFKA_TOPIC_PARTITIONS: '0' })).toThrow(/KAFKA_TOPIC_PARTITIONS/);
  });
});

describe(buildServiceEnv.name, () => {
  const shell = {
    PATH: '/usr/bin',
    LOG_LEVEL: 'debug',
    DATABASE_URL: 'postgres://postgres:admin@127.0.0.1/rewards',
    JWT_SECRET: 'from-shell',
    BOOKINGS_DB_PASSWORD: 'pw',
    PORT: '9999',
    HOST: '0.0.0.0',
  };

  it('gives the gateway its secret, dev tokens and upstreams, and no database', () => {
    const env = buildServiceEnv('gateway', settings, shell);

    expect(env).toMatchObject({
      PATH: '/usr/bin',
      LOG_LEVEL: 'debug',
      NODE_ENV: 'development',
      PORT: '4000',
      HOST: '127.0.0.1',
      JWT_SECRET: settings.jwtSecret,
      INTERNAL_AUTH_KEY: settings.internalAuthKey,
      AUTH_DEV_TOKENS: 'true',
      BOOKINGS_URL: 'http://127.0.0.1:4001',
      REFERRALS_URL: 'http://127.0.0.1:4002',
      WALLET_URL: 'http://127.0.0.1:4003',
      PAYOUTS_URL: 'http://127.0.0.1:4004',
    });
    expect(env).not.toHaveProperty('DATABASE_URL');
    expect(env).not.toHaveProperty('BOOKINGS_DB_PASSWORD');
    expect(env).not.toHaveProperty('STRIPE_SECRET_KEY');
  });

  it('turns dev tokens off in production', () => {
    const env = buildServiceEnv('gateway', settings, { NODE_ENV: 'production' });

    expect(env.AUTH_DEV_TOKENS).toBe('false');
    expect(env.NODE_ENV).toBe('production');
  });

  it("gives a data service its own database role, schema and the brokers, never the admin's", () => {
    const env = buildServiceEnv('bookings', settings, shell);

    expect(env).toMatchObject({
      PORT: '4001',
      DATABASE_URL: settings.databaseUrls.bookings,
      DATABASE_SCHEMA: 'bookings',
      KAFKA_BROKERS: '127.0.0.1:9092',
      INTERNAL_AUTH_KEY: settings.internalAuthKey,
    });
    expect(env).not.toHaveProperty('JWT_SECRET');
    expect(env).not.toHaveProperty('BOOKINGS_URL');
  });

  it('gives bookings the wallet and the checkout quote key, and only it the key', () => {
    expect(buildServiceEnv('bookings', settings, {})).toMatchObject({
      WALLET_URL: 'http://127.0.0.1:4003',
      CHECKOUT_QUOTE_SECRET: settings.checkoutQuoteSecret,
    });
    expect(buildServiceEnv('wallet', settings, {})).not.toHaveProperty('CHECKOUT_QUOTE_SECRET');
  });

  it('points referral share links at the gateway', () => {
    expect(buildServiceEnv('referrals', settings, {}).PUBLIC_BASE_URL).toBe(
      'http://127.0.0.1:4000',
    );
  });

  it('gives payouts Stripe and bookings, and only it the Stripe key', () => {
    const env = buildServiceEnv('payouts', settings, {});

    expect(env).toMatchObject({
      DATABASE_URL: settings.databaseUrls.payouts,
      BOOKINGS_URL: 'http://127.0.0.1:4001',
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      STRIPE_API_URL: 'http://127.0.0.1:12111',
    });
    expect(buildServiceEnv('wallet', settings, {})).not.toHaveProperty('STRIPE_SECRET_KEY');
  });

  it('leaves STRIPE_API_URL unset for the real Stripe', () => {
    const real = { ...settings, stripe: { secretKey: 'sk_live_x', webhookSecret: 'whsec_y' } };

    expect(buildServiceEnv('payouts', real, { STRIPE_API_URL: 'http://stale' })).not.toHaveProperty(
      'STRIPE_API_URL',
    );
  });
});

describe(formatStatusLine.name, () => {
  it('lines up name, url and state in columns', () => {
    const lines = [
      formatStatusLine('gateway', 'http://127.0.0.1:3000', 'ready'),
      formatStatusLine('referrals', 'http://127.0.0.1:3002', 'FAILED'),
    ];

    expect(lines).toEqual([
      '  gateway    http://127.0.0.1:3000   ready',
      '  referrals  http://127.0.0.1:3002   FAILED',
    ]);
  });
});

describe(formatReadySummary.name, () => {
  it('shows the gateway and how to mint a dev token', () => {
    const text = formatReadySummary('http://127.0.0.1:3000', {}).join('\n');

    expect(text).toContain('Gateway: http://127.0.0.1:3000');
    expect(text).toContain('POST http://127.0.0.1:3000/auth/dev-token');
  });

  it('says dev tokens are off in production instead', () => {
    const text = formatReadySummary('http://127.0.0.1:3000', { NODE_ENV: 'production' }).join('\n');

    expect(text).not.toContain('/auth/dev-token');
    expect(text).toContain('Dev tokens are off');
  });
});

describe(platformLocalDir.name, () => {
  it("is the checkout's .local unless PLATFORM_LOCAL_DIR names another, relative to the checkout", () => {
    expect(platformLocalDir('/repo', {})).toBe('/repo/.local');
    expect(platformLocalDir('/repo', { PLATFORM_LOCAL_DIR: '' })).toBe('/repo/.local');
    expect(platformLocalDir('/repo', { PLATFORM_LOCAL_DIR: '.local/chaos/s1' })).toBe(
      '/repo/.local/chaos/s1',
    );
    expect(platformLocalDir('/repo', { PLATFORM_LOCAL_DIR: '/srv/platform' })).toBe(
      '/srv/platform',
    );
  });

  it('is named relative to the checkout in messages when inside it', () => {
    expect(shownPath('/repo', '/repo/.local')).toBe('.local');
    expect(shownPath('/repo', '/srv/platform')).toBe('/srv/platform');
    expect(shownPath('/repo', '/repo-other/x')).toBe('/repo-other/x');
  });

  it('keeps platforms of one checkout apart in the relocation home, the default one at data', () => {
    const other = relocatedDataName('/repo', '/repo/.local/chaos/s1');

    expect(relocatedDataName('/repo', '/repo/.local')).toBe('data');
    expect(other).toMatch(/^data-[0-9a-f]{12}$/);
    expect(relocatedDataName('/repo', '/repo/.local/chaos/s2')).not.toBe(other);
  });

  it('names the local directory in the ready summary', () => {
    const text = formatReadySummary('http://127.0.0.1:3000', {}, '.local/chaos/s1').join('\n');

    expect(text).toContain('Logs: .local/chaos/s1/logs/<service>.log');
  });
});

describe(errorLineText.name, () => {
  it('echoes JSON lines at error or fatal level with their context', () => {
    const line = JSON.stringify({ level: 'error', context: 'Outbox', message: 'relay failed' });

    expect(errorLineText(line, 'stdout')).toBe('error: Outbox: relay failed');
    expect(errorLineText(JSON.stringify({ level: 'fatal', message: 'bad config' }), 'stderr')).toBe(
      'fatal: bad config',
    );
  });

  it('ignores JSON lines below error level', () => {
    expect(
      errorLineText(JSON.stringify({ level: 'log', message: 'hi' }), 'stdout'),
    ).toBeUndefined();
    expect(
      errorLineText(JSON.stringify({ level: 'warn', message: 'hm' }), 'stderr'),
    ).toBeUndefined();
  });

  it('echoes unstructured stderr but not unstructured stdout or blank lines', () => {
    expect(errorLineText('TypeError: x is undefined', 'stderr')).toBe('TypeError: x is undefined');
    expect(errorLineText('plain output', 'stdout')).toBeUndefined();
    expect(errorLineText('   ', 'stderr')).toBeUndefined();
  });
});

describe(resolveSecrets.name, () => {
  const generate = (name: string): string => `generated-${name}`;

  it('prefers the environment, then the store, then generates and stores', () => {
    const result = resolveSecrets(
      ['A', 'B', 'C'],
      { A: 'env-a' },
      { A: 'old-a', B: 'b' },
      generate,
    );

    expect(result.values).toEqual({ A: 'env-a', B: 'b', C: 'generated-C' });
    expect(result.generated).toEqual(['C']);
    expect(result.stored).toEqual({ A: 'old-a', B: 'b', C: 'generated-C' });
  });

  it('never writes an environment value into the store', () => {
    const result = resolveSecrets(['A'], { A: 'env-a' }, {}, generate);

    expect(result.stored).toEqual({});
    expect(result.generated).toEqual([]);
  });
});
