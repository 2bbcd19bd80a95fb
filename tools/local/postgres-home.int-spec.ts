import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startPostgres } from './infra';
import {
  canReach,
  ensurePostgresUser,
  locatePostgres,
  platformDataDir,
  relocationHome,
} from './postgres-home';

// Only root runs Postgres as another user; for anyone else there is nothing to relocate.
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('embedded Postgres under root, from a checkout inside a 0700 directory', () => {
  let privateDir: string;
  let checkout: string;
  let home: string;

  beforeAll(() => {
    // mkdtemp makes the directory 0700, like root's home.
    privateDir = mkdtempSync(join(tmpdir(), 'private-checkout-'));
    checkout = join(privateDir, 'repo');
    mkdirSync(join(checkout, '.local'), { recursive: true });
    writeFileSync(join(checkout, 'nx.json'), '{}');
    home = relocationHome(checkout);
  });

  afterAll(() => {
    rmSync(privateDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('tells what the postgres user cannot enter from what it can', () => {
    const user = ensurePostgresUser();

    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    expect(canReach(user, '/bin/sh', [join(checkout, '.local')])).toBe(false);
    expect(canReach(user, join(checkout, 'no-such-binary'), [tmpdir()])).toBe(false);
    expect(canReach(user, '/bin/sh', [tmpdir()])).toBe(true);
  });

  it('runs from a copy in /var/tmp with its data there, behind .local/postgres', async () => {
    const location = locatePostgres(checkout, [join(checkout, '.local')]);
    const link = join(checkout, '.local', 'postgres');
    const dataDir = platformDataDir(link, location.home);

    const postgres = await startPostgres({ dataDir, location });
    try {
      const client = new Client({ connectionString: postgres.adminUrl });
      await client.connect();
      const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
      await client.end();

      expect(rows).toEqual([{ user: 'postgres' }]);
      expect(location.home).toBe(home);
      expect(location.nativeDir.startsWith(`${home}/`)).toBe(true);
      expect(postgres.dataDir).toBe(join(home, 'data'));
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(statSync(home).mode & 0o777).toBe(0o755);
    } finally {
      await postgres.stop();
    }
  }, 120_000);

  it('keeps temporary clusters in the relocation home too, and removes them', async () => {
    const location = locatePostgres(checkout, [join(checkout, '.local')]);

    const postgres = await startPostgres({ location });
    const { dataDir } = postgres;
    await postgres.stop();

    expect(dataDir.startsWith(join(home, 'clusters', 'rewards-pg-'))).toBe(true);
    expect(existsSync(dataDir)).toBe(false);
  }, 120_000);
});
