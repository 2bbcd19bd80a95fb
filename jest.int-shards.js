// `npm run test:int`: the integration and end-to-end suite in INT_TEST_SHARDS (default 2) jest
// processes side by side, each with its own embedded Postgres and broker (jest.int.config.js's
// global setup), each running its files one at a time in the order jest.sequencer.js fixes. The
// files mostly wait (consumer-group joins, polled outcomes), so two shards take about half the
// time on two cores.
//
// One process, as before, when DATABASE_URL or KAFKA_BROKERS name a real Postgres or Kafka (the
// shards would share its schemas and consumer groups) or when arguments select files
// (`npm run test:int -- services/wallet`). `--record-durations` updates test/int-durations.json,
// which the sequencer splits by, with the times of the files this run ran (when every shard
// passed); files it did not run keep theirs, files that no longer exist are dropped.
//
// Each shard's lines are prefixed with its number; the exit code is 1 when any shard failed.
const { spawn } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { createInterface } = require('node:readline');

const root = __dirname;
const args = process.argv.slice(2);
const record = args.includes('--record-durations');
const jestArgs = args.filter((arg) => arg !== '--record-durations');

function shardCount() {
  if (process.env.DATABASE_URL || process.env.KAFKA_BROKERS) {
    console.log(
      'test:int: one shard (DATABASE_URL or KAFKA_BROKERS is set: shared infrastructure)',
    );
    return 1;
  }
  if (jestArgs.length > 0) return 1;
  const asked = process.env.INT_TEST_SHARDS;
  if (asked === undefined || asked === '') return 2;
  const count = Number(asked);
  if (!Number.isInteger(count) || count < 1 || count > 8) {
    console.error(`test:int: INT_TEST_SHARDS must be an integer from 1 to 8, got "${asked}"`);
    process.exit(2);
  }
  return count;
}

const count = shardCount();
const logDir = join(root, '.local', 'test-logs');
mkdirSync(logDir, { recursive: true });
const resultFile = (index) => join(logDir, `int-shard-${index}-of-${count}.json`);

function runShard(index) {
  const label = count === 1 ? '' : `[int ${index}/${count}] `;
  const shardArgs = count === 1 ? [] : [`--shard=${index}/${count}`];
  const child = spawn(
    process.execPath,
    [
      require.resolve('jest/bin/jest'),
      '-c',
      'jest.int.config.js',
      '--runInBand',
      '--json',
      `--outputFile=${resultFile(index)}`,
      ...shardArgs,
      ...jestArgs,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } },
  );
  for (const [stream, sink] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
      sink.write(`${label}${line}\n`),
    );
  }
  const started = Date.now();
  return {
    child,
    done: new Promise((resolve) =>
      child.on('close', (code, signal) =>
        resolve({ index, code, signal, seconds: (Date.now() - started) / 1000 }),
      ),
    ),
  };
}

function recordDurations() {
  const tableFile = join(root, 'test', 'int-durations.json');
  const table = JSON.parse(readFileSync(tableFile, 'utf8'));
  for (let index = 1; index <= count; index += 1) {
    const run = JSON.parse(readFileSync(resultFile(index), 'utf8'));
    for (const file of run.testResults) {
      const seconds = (file.endTime - file.startTime) / 1000;
      table[relative(root, file.name)] = Math.round(seconds * 10) / 10;
    }
  }
  const sorted = Object.fromEntries(
    Object.keys(table)
      .filter((file) => existsSync(join(root, file)))
      .sort()
      .map((file) => [file, table[file]]),
  );
  writeFileSync(tableFile, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`test:int: test/int-durations.json now holds ${Object.keys(sorted).length} files`);
}

async function main() {
  const shards = Array.from({ length: count }, (_, i) => runShard(i + 1));
  // Ctrl-C reaches the shards from the terminal (one process group): only wait for them. A
  // SIGTERM sent to this process alone is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => {
    for (const { child } of shards) if (child.exitCode === null) child.kill('SIGTERM');
  });
  const results = await Promise.all(shards.map((shard) => shard.done));
  let failed = false;
  for (const { index, code, signal, seconds } of results) {
    const outcome = code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`;
    if (code !== 0) failed = true;
    console.log(`test:int: shard ${index}/${count} ${outcome} in ${seconds.toFixed(0)} s`);
  }
  if (record && !failed) recordDurations();
  process.exitCode = failed ? 1 : 0;
}

void main();
