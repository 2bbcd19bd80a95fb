/** Services that own a Postgres schema. */
export const DATA_SERVICES = ['bookings', 'referrals', 'wallet', 'payouts'] as const;
export type DataService = (typeof DATA_SERVICES)[number];

export const TEST_ENV_KEYS = {
  adminUrl: 'TEST_ADMIN_DATABASE_URL',
  brokers: 'TEST_KAFKA_BROKERS',
  /** The service's runtime role: what the app connects as. */
  serviceUrl: (service: string) => `TEST_DATABASE_URL_${service.toUpperCase()}`,
  /** The schema owner: what migrations (and only migrations) connect as. */
  ownerUrl: (service: string) => `TEST_DATABASE_OWNER_URL_${service.toUpperCase()}`,
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run integration tests with jest -c jest.int.config.js`);
  }
  return value;
}

/** Environment for a service under test, pointing at the run's Postgres role and broker. */
export function serviceTestEnv(
  service: DataService,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    DATABASE_URL: required(TEST_ENV_KEYS.serviceUrl(service)),
    KAFKA_BROKERS: required(TEST_ENV_KEYS.brokers),
    OUTBOX_POLL_INTERVAL_MS: '50',
    CONSUMER_MAX_ATTEMPTS: '3',
    CONSUMER_RETRY_BASE_MS: '20',
    ...extra,
  };
}

export function testBrokers(): string[] {
  return required(TEST_ENV_KEYS.brokers).split(',');
}

/** The owner role's connection of a service's schema, for migrations. */
export function testOwnerUrl(service: string): string {
  return required(TEST_ENV_KEYS.ownerUrl(service));
}

export function testAdminUrl(): string {
  return required(TEST_ENV_KEYS.adminUrl);
}

/**
 * Polls until `probe` stops throwing (or returns a value), then returns its result. The default
 * wait covers a consumer-group rebalance or two on a loaded machine (about 9 s each on the
 * embedded broker), so a slow machine is not a failed test.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  { timeoutMs = 45_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
