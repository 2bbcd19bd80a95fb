import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walletEnv } from './check-invariants';

describe(walletEnv.name, () => {
  let localDir: string;

  const writeStatus = (postgres: Record<string, unknown>) => {
    mkdirSync(join(localDir, 'run'), { recursive: true });
    writeFileSync(
      join(localDir, 'run', 'platform.json'),
      JSON.stringify({ infrastructure: { postgres } }),
    );
  };
  const embedded = { state: 'running', address: '127.0.0.1:54329', database: 'rewards' };

  beforeEach(() => {
    localDir = mkdtempSync(join(tmpdir(), 'check-invariants-'));
  });
  afterEach(() => rmSync(localDir, { recursive: true, force: true }));

  it("keeps the caller's DATABASE_URL, as in the wallet's pod", () => {
    const env = { DATABASE_URL: 'postgres://svc_wallet:pw@db:5432/rewards', DATABASE_SCHEMA: 'w2' };

    expect(walletEnv(env, localDir)).toEqual(env);
  });

  it("connects as the wallet's runtime role of the running embedded platform", () => {
    writeStatus(embedded);
    writeFileSync(join(localDir, 'secrets.json'), JSON.stringify({ WALLET_DB_PASSWORD: 'p/w:1' }));

    const env = walletEnv({}, localDir);

    expect(env.DATABASE_SCHEMA).toBe('wallet');
    const url = new URL(env.DATABASE_URL ?? '');
    expect(url.username).toBe('svc_wallet');
    expect(decodeURIComponent(url.password)).toBe('p/w:1');
    expect(`${url.host}${url.pathname}`).toBe('127.0.0.1:54329/rewards');
  });

  it('takes the wallet password from WALLET_DB_PASSWORD before the secrets file', () => {
    writeStatus(embedded);

    const env = walletEnv({ WALLET_DB_PASSWORD: 'from-env' }, localDir);

    expect(new URL(env.DATABASE_URL ?? '').password).toBe('from-env');
  });

  it('says what to do when no platform runs here or its Postgres is not embedded', () => {
    expect(() => walletEnv({}, localDir)).toThrow(/\.\/platform start, or set DATABASE_URL/);
    writeStatus({ state: 'external', address: null, database: null });
    expect(() => walletEnv({}, localDir)).toThrow(/set DATABASE_URL to the wallet's connection/);
    writeStatus({ ...embedded, state: 'restarting' });
    expect(() => walletEnv({}, localDir)).toThrow(/not an embedded one that runs \(restarting\)/);
  });
});
