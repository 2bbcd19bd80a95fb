import { ConfigError, loadConfig } from '@rewards/service-kit';
import { GatewayConfig } from './gateway.config';

const SECRET = 'test-only-secret-with-at-least-32-characters';
const INTERNAL_AUTH_KEY = 'test-only-internal-key-of-at-least-32-chars';

const problems = (env: Record<string, string>): string => {
  try {
    loadConfig(GatewayConfig, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('configuration was accepted');
};

describe(GatewayConfig.name, () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(GatewayConfig, { JWT_SECRET: SECRET, INTERNAL_AUTH_KEY });
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      JWT_ISSUER: 'rewards-platform',
      AUTH_DEV_TOKENS: false,
      BOOKINGS_URL: 'http://127.0.0.1:3001',
      REFERRALS_URL: 'http://127.0.0.1:3002',
      WALLET_URL: 'http://127.0.0.1:3003',
      PAYOUTS_URL: 'http://127.0.0.1:3004',
      UPSTREAM_TIMEOUT_MS: 10_000,
    });
  });

  it('reads overrides from the environment', () => {
    const config = loadConfig(GatewayConfig, {
      JWT_SECRET: SECRET,
      INTERNAL_AUTH_KEY,
      PORT: '8080',
      AUTH_DEV_TOKENS: 'true',
      BOOKINGS_URL: 'http://bookings:3001',
      UPSTREAM_TIMEOUT_MS: '2500',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      AUTH_DEV_TOKENS: true,
      BOOKINGS_URL: 'http://bookings:3001',
      UPSTREAM_TIMEOUT_MS: 2500,
    });
  });

  it('requires a JWT_SECRET of at least 32 characters', () => {
    expect(problems({ INTERNAL_AUTH_KEY })).toMatch(
      /JWT_SECRET \(missing\): .*at least 32 characters/,
    );
    expect(problems({ INTERNAL_AUTH_KEY, JWT_SECRET: 'short' })).toMatch(
      /JWT_SECRET .*at least 32 characters/,
    );
  });

  it('requires an INTERNAL_AUTH_KEY of at least 32 characters to sign calls to the services', () => {
    expect(problems({ JWT_SECRET: SECRET })).toMatch(
      /INTERNAL_AUTH_KEY \(missing\): .*at least 32 characters/,
    );
    expect(problems({ JWT_SECRET: SECRET, INTERNAL_AUTH_KEY: 'short' })).toMatch(
      /INTERNAL_AUTH_KEY .*at least 32 characters/,
    );
  });

  it('refuses to boot with dev tokens in production', () => {
    expect(
      problems({
        JWT_SECRET: SECRET,
        INTERNAL_AUTH_KEY,
        NODE_ENV: 'production',
        AUTH_DEV_TOKENS: 'true',
      }),
    ).toMatch(/AUTH_DEV_TOKENS .*must not be true when NODE_ENV=production/);
    expect(
      loadConfig(GatewayConfig, { JWT_SECRET: SECRET, INTERNAL_AUTH_KEY, NODE_ENV: 'production' }),
    ).toMatchObject({ AUTH_DEV_TOKENS: false });
  });

  it('takes RS256/ES256 keys from a JWKS URL instead of a secret, https in production', () => {
    const jwks = {
      INTERNAL_AUTH_KEY,
      JWT_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
    };
    expect(loadConfig(GatewayConfig, jwks)).toMatchObject({
      JWT_SECRET: undefined,
      JWT_AUDIENCE: 'rewards-api',
      JWT_MAX_LIFETIME_SECONDS: 3600,
      JWT_CLOCK_SKEW_SECONDS: 30,
      JWKS_CACHE_SECONDS: 600,
    });
    expect(problems({ INTERNAL_AUTH_KEY })).toMatch(/JWT_SECRET or JWT_JWKS_URL must be set/);
    expect(
      problems({ ...jwks, NODE_ENV: 'production', JWT_JWKS_URL: 'http://id.example.com/jwks' }),
    ).toMatch(/JWT_JWKS_URL must be https when NODE_ENV=production/);
    expect(problems({ ...jwks, AUTH_DEV_TOKENS: 'true' })).toMatch(
      /AUTH_DEV_TOKENS needs JWT_SECRET/,
    );
  });

  it('refuses admin dev tokens in production', () => {
    expect(
      problems({
        JWT_SECRET: SECRET,
        INTERNAL_AUTH_KEY,
        NODE_ENV: 'production',
        AUTH_DEV_TOKENS_ADMIN: 'true',
      }),
    ).toMatch(/AUTH_DEV_TOKENS_ADMIN must not be true when NODE_ENV=production/);
  });

  it('reads CORS origins and per-upstream timeouts, refusing a wildcard origin', () => {
    const config = loadConfig(GatewayConfig, {
      JWT_SECRET: SECRET,
      INTERNAL_AUTH_KEY,
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      UPSTREAM_TIMEOUTS: 'payouts=3000,wallet=2000',
    });
    expect(config.CORS_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(
      loadConfig(GatewayConfig, { JWT_SECRET: SECRET, INTERNAL_AUTH_KEY }).CORS_ORIGINS,
    ).toEqual([]);
    expect(problems({ JWT_SECRET: SECRET, INTERNAL_AUTH_KEY, CORS_ORIGINS: '*' })).toMatch(
      /CORS_ORIGINS must be origins/,
    );
    expect(
      problems({ JWT_SECRET: SECRET, INTERNAL_AUTH_KEY, UPSTREAM_TIMEOUTS: 'stripe=100' }),
    ).toMatch(/UPSTREAM_TIMEOUTS/);
  });

  it('refuses upstream URLs that are not http(s)', () => {
    expect(problems({ JWT_SECRET: SECRET, INTERNAL_AUTH_KEY, WALLET_URL: 'wallet:3003' })).toMatch(
      /WALLET_URL/,
    );
    expect(
      problems({ JWT_SECRET: SECRET, INTERNAL_AUTH_KEY, PAYOUTS_URL: 'ftp://payouts' }),
    ).toMatch(/PAYOUTS_URL/);
  });
});
