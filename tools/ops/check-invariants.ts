// Operator command: checks the wallet ledger's invariants once (balanced transactions, no user
// account below zero, balances equal to their postings, lots and held checkouts) and exits 0 when
// all hold, 1 on any violation (each listed), 2 when the check could not run.
//
//   npm run check-invariants [-- --json]
//
// With DATABASE_URL set it uses the wallet's own connection (DATABASE_SCHEMA defaults to
// wallet). Without it, the wallet's connection of the embedded platform `./platform start` runs
// from this checkout: Postgres's address in .local/run/platform.json, the wallet role's password
// from WALLET_DB_PASSWORD or .local/secrets.json. In Kubernetes the wallet image runs the same
// check with its pod's env (deploy/k8s/README.md).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInvariantCheck } from '../../services/wallet/src/ledger/check-invariants';
import { readSecretsFile } from '../local/local-secrets';
import type { PlatformStatus } from '../local/platform-status';
import { passwordVariable, runtimeRoleName } from '../local/provisioning-sql';
import { findRepoRoot } from '../local/repo-root';

type Env = Record<string, string | undefined>;

/**
 * The wallet's DATABASE_URL and DATABASE_SCHEMA: the caller's when set, else those of the
 * embedded platform whose files are in `localDir`. Throws, saying what to do, when neither is.
 */
export function walletEnv(env: Env, localDir: string): Env {
  if (env.DATABASE_URL) return env;
  const statusFile = join(localDir, 'run', 'platform.json');
  if (!existsSync(statusFile)) {
    throw new Error(
      `DATABASE_URL is not set and no platform runs here (${statusFile} is missing): ` +
        "start one with ./platform start, or set DATABASE_URL to the wallet's connection",
    );
  }
  const status = JSON.parse(readFileSync(statusFile, 'utf8')) as PlatformStatus;
  const { address, database, state } = status.infrastructure.postgres;
  if (!address || !database || state !== 'running') {
    throw new Error(
      `the platform's Postgres is not an embedded one that runs (${state}): ` +
        "set DATABASE_URL to the wallet's connection (role svc_wallet)",
    );
  }
  const passwordName = passwordVariable('wallet', 'runtime');
  const password =
    env[passwordName] || readSecretsFile(join(localDir, 'secrets.json'))[passwordName];
  if (!password) throw new Error(`${passwordName} is neither set nor in ${localDir}/secrets.json`);
  const url = new URL(`postgres://${address}/${database}`);
  url.username = runtimeRoleName('wallet');
  url.password = encodeURIComponent(password);
  return { ...env, DATABASE_URL: url.toString(), DATABASE_SCHEMA: 'wallet' };
}

async function main(argv: string[]): Promise<number> {
  let env: Env;
  try {
    env = walletEnv(process.env, join(findRepoRoot(), '.local'));
  } catch (err) {
    process.stderr.write(`check-invariants: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  return runInvariantCheck(env, argv);
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
