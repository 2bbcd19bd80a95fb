import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allTopicsWithDeadLetters } from '../libs/contracts/src/topics';

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

  it.each(SERVICES)('builds %s from its Dockerfile and runs it on its port', (name) => {
    const dockerfile = `services/${name}/Dockerfile`;
    expect(services[name]?.build).toEqual({ context: '.', dockerfile });
    expect((services[name]?.environment as Record<string, string>).PORT).toBe(String(PORTS[name]));
    expect(existsSync(join(repoRoot, dockerfile))).toBe(true);
    expect(readFileSync(join(repoRoot, dockerfile), 'utf8')).toContain(
      `CMD ["node", "dist/services/${name}/src/main.js"]`,
    );
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
});
