import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allTopicsWithDeadLetters } from '../libs/contracts/src/topics';
import { ownerRoleName, passwordVariable, runtimeRoleName } from './local/provisioning-sql';

// docker-compose.yml cannot be checked with `docker compose config` without a Docker engine; this
// parses it and checks what must stay in step with the rest of the repository.

const repoRoot = join(__dirname, '..');
const SERVICES = ['gateway', 'bookings', 'referrals', 'wallet', 'payouts'] as const;
const DB_SERVICES = SERVICES.filter((s) => s !== 'gateway');
const PORTS: Record<string, number> = {
  gateway: 3000,
  bookings: 3001,
  referrals: 3002,
  wallet: 3003,
  payouts: 3004,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

describe('docker-compose.yml', () => {
  const compose: unknown = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  });
  const services = (
    isRecord(compose) && isRecord(compose.services) ? compose.services : {}
  ) as Record<string, Record<string, unknown>>;

  it('creates every contract topic (each with its .dlq) in kafka-topics', () => {
    const env = services['kafka-topics']?.environment as Record<string, string> | undefined;
    expect(
      env?.TOPICS.split(/\s+/)
        .flatMap((t) => [t, `${t}.dlq`])
        .sort(),
    ).toEqual(allTopicsWithDeadLetters().sort());
  });

  it('only depends on services it defines', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys((service.depends_on as object | undefined) ?? {})) {
        expect({ [name]: Object.keys(services) }).toEqual({
          [name]: expect.arrayContaining([dependency]),
        });
      }
    }
  });

  it.each(SERVICES)('builds %s from the one Dockerfile and runs it on its port', (name) => {
    expect(services[name]?.build).toEqual({ context: '.', args: { SERVICE: name } });
    expect((services[name]?.environment as Record<string, string>).PORT).toBe(String(PORTS[name]));
  });

  it.each(DB_SERVICES)('migrates %s in a one-shot before it starts', (name) => {
    expect(services[`${name}-migrate`]?.command).toEqual([
      'node',
      `dist/services/${name}/src/db/migrate.js`,
    ]);
    expect(services[name]?.depends_on).toMatchObject({
      [`${name}-migrate`]: { condition: 'service_completed_successfully' },
    });
  });

  it.each(DB_SERVICES)('migrates %s as its owner role and runs it as its runtime role', (name) => {
    const env = (service: string) =>
      (services[service]?.environment ?? {}) as Record<string, string>;
    const user = (url: string | undefined) => new URL(url ?? 'postgres://none@x/y').username;
    expect(user(env(`${name}-migrate`).DATABASE_URL)).toBe(ownerRoleName(name));
    expect(user(env(name).DATABASE_URL)).toBe(runtimeRoleName(name));
    expect(env(`${name}-migrate`).DATABASE_URL).toContain(`\${${passwordVariable(name, 'owner')}`);
    expect(env(name).DATABASE_URL).toContain(`\${${passwordVariable(name, 'runtime')}`);
  });

  it('provisions with the generated deploy/sql/provision.sql and every password it reads', () => {
    const provision = services.provision ?? {};
    expect(provision.volumes).toEqual(['./deploy/sql:/sql:ro']);
    expect(provision.command).toEqual(['psql', '--no-psqlrc', '--file=/sql/provision.sql']);
    const sql = readFileSync(join(repoRoot, 'deploy/sql/provision.sql'), 'utf8');
    const needed = [...sql.matchAll(/^\\getenv \w+ (\w+)$/gm)].map((m) => m[1]);
    expect(needed).toHaveLength(DB_SERVICES.length * 2);
    expect(Object.keys(provision.environment as object)).toEqual(expect.arrayContaining(needed));
  });

  it('publishes the gateway on loopback only and ships no fixed signing key', () => {
    expect(services.gateway?.ports).toEqual(['127.0.0.1:3000:3000']);
    const gatewayEnv = services.gateway?.environment as Record<string, string>;
    expect(gatewayEnv.JWT_SECRET).toBeUndefined();
    expect(gatewayEnv.JWT_SECRET_FILE).toBe('/run/platform-secrets/jwt_secret');
    const bookingsEnv = services.bookings?.environment as Record<string, string>;
    expect(bookingsEnv.CHECKOUT_QUOTE_SECRET).toBeUndefined();
    expect(bookingsEnv.CHECKOUT_QUOTE_SECRET_FILE).toBe(
      '/run/platform-secrets/checkout_quote_secret',
    );
    // Each file read is one the `secrets` one-shot generates.
    const generates = JSON.stringify(services.secrets?.command);
    for (const name of ['jwt_secret', 'internal_auth_key', 'checkout_quote_secret']) {
      expect(generates).toContain(name);
    }
    for (const name of [...SERVICES, ...DB_SERVICES.map((s) => `${s}-migrate`)]) {
      const env = services[name]?.environment as Record<string, string>;
      expect({ [name]: env.INTERNAL_AUTH_KEY_FILE }).toEqual({
        [name]: '/run/platform-secrets/internal_auth_key',
      });
      expect({ [name]: services[name]?.volumes }).toEqual({
        [name]: ['platform-secrets:/run/platform-secrets:ro'],
      });
    }
  });
});
