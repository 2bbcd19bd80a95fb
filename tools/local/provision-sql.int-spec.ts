import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { testAdminUrl } from '@rewards/testing';
import { Client } from 'pg';
import { DATA_SERVICES } from './platform-env';
import { passwordVariable, provisionDatabase } from './provision-database';

// The psql script docker-compose and the Kubernetes Job run, and the statements the embedded
// platform runs, must leave a database in the same state.

const password = (s: string, kind: string) => `test-${s}-${kind}-secret`;

function hasPsql(): boolean {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function databaseUrl(name: string): string {
  const url = new URL(testAdminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function snapshot(url: string): Promise<unknown> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const schemas = await client.query(
      `SELECT nspname, pg_get_userbyid(nspowner) AS owner, nspacl::text AS acl
         FROM pg_namespace WHERE nspname = ANY($1) OR nspname = 'public' ORDER BY 1`,
      [[...DATA_SERVICES]],
    );
    const defaults = await client.query(
      `SELECT pg_get_userbyid(defaclrole) AS role, defaclnamespace::regnamespace::text AS schema,
              defaclobjtype AS type, defaclacl::text AS acl
         FROM pg_default_acl ORDER BY 1, 2, 3`,
    );
    const database = await client.query(
      `SELECT array_to_string(ARRAY(SELECT a::text FROM unnest(datacl) a
                WHERE a::text LIKE 'svc_%' OR a::text LIKE '=%' ORDER BY 1), ' ') AS acl
         FROM pg_database WHERE datname = current_database()`,
    );
    return { schemas: schemas.rows, defaults: defaults.rows, database: database.rows };
  } finally {
    await client.end();
  }
}

const psqlIt = hasPsql() ? it : it.skip;
if (!hasPsql()) console.log('psql is not on PATH: skipping the provision.sql comparison');

describe('provisioning through psql and through the platform', () => {
  const suffix = `${process.pid}_${Date.now()}`;
  const viaPlatform = `prov_ts_${suffix}`;
  const viaPsql = `prov_psql_${suffix}`;

  beforeAll(async () => {
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${viaPlatform}`);
      await admin.query(`CREATE DATABASE ${viaPsql}`);
    } finally {
      await admin.end();
    }
  });

  afterAll(async () => {
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${viaPlatform}`);
      await admin.query(`DROP DATABASE IF EXISTS ${viaPsql}`);
    } finally {
      await admin.end();
    }
  });

  psqlIt('leave the same schemas, owners, grants and default privileges', async () => {
    // Same passwords as the run's global setup: the roles are shared by every database.
    await provisionDatabase(databaseUrl(viaPlatform), [...DATA_SERVICES], password);
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    for (const s of DATA_SERVICES) {
      for (const kind of ['owner', 'runtime'] as const) {
        env[passwordVariable(s, kind)] = password(s, kind);
      }
    }
    execFileSync(
      'psql',
      [
        '--no-psqlrc',
        '--quiet',
        `--file=${join(__dirname, '../../deploy/sql/provision.sql')}`,
        databaseUrl(viaPsql),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );

    const [platform, psql] = [
      await snapshot(databaseUrl(viaPlatform)),
      await snapshot(databaseUrl(viaPsql)),
    ];
    expect(psql).toEqual(platform);
    expect(JSON.stringify(platform)).toContain('svc_wallet_owner');
  });

  psqlIt('refuses to run without every password', () => {
    const env = { ...process.env, WALLET_DB_OWNER_PASSWORD: '' };
    expect(() =>
      execFileSync(
        'psql',
        [
          '--no-psqlrc',
          '--quiet',
          `--file=${join(__dirname, '../../deploy/sql/provision.sql')}`,
          databaseUrl(viaPsql),
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    ).toThrow(/set BOOKINGS_DB_OWNER_PASSWORD/);
  });
});
