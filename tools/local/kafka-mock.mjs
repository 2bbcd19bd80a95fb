// Runs librdkafka's in-process mock cluster as a Kafka-protocol broker for local runs and tests.
// Env: KAFKA_TOPICS (comma-separated, created up front), KAFKA_MOCK_BROKERS (1),
// KAFKA_TOPIC_PARTITIONS (3). Prints one JSON ready line, then lives until SIGTERM/SIGINT or
// until its parent goes away.
import fs from 'node:fs';
import koffi from 'koffi';

const ERRSTR_SIZE = 512;

function fail(message) {
  process.stderr.write(`kafka-mock: ${message}\n`);
  process.exit(1);
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    fail(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

// Kafka's legal topic characters; the mock would accept anything and clients would then choke.
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

const brokerCount = positiveInt('KAFKA_MOCK_BROKERS', 1);
const partitions = positiveInt('KAFKA_TOPIC_PARTITIONS', 3);
const topics = [
  ...new Set(
    (process.env.KAFKA_TOPICS ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  ),
];
for (const topic of topics) {
  if (!TOPIC_PATTERN.test(topic)) fail(`invalid topic name '${topic}'`);
}

let lib;
try {
  lib = koffi.load('librdkafka.so.1');
} catch (err) {
  fail(
    `cannot load librdkafka.so.1 (${err instanceof Error ? err.message : String(err)}); ` +
      'install it with: apt-get install librdkafka1',
  );
}

const rd = {
  confNew: lib.func('void *rd_kafka_conf_new()'),
  confSet: lib.func(
    'int rd_kafka_conf_set(void *conf, str name, str value, char *errstr, size_t size)',
  ),
  kafkaNew: lib.func('void *rd_kafka_new(int type, void *conf, char *errstr, size_t size)'),
  destroy: lib.func('void rd_kafka_destroy(void *rk)'),
  clusterNew: lib.func('void *rd_kafka_mock_cluster_new(void *rk, int broker_cnt)'),
  clusterDestroy: lib.func('void rd_kafka_mock_cluster_destroy(void *mc)'),
  bootstraps: lib.func('str rd_kafka_mock_cluster_bootstraps(void *mc)'),
  topicCreate: lib.func(
    'int rd_kafka_mock_topic_create(void *mc, str topic, int partition_cnt, int replication_factor)',
  ),
  err2str: lib.func('str rd_kafka_err2str(int err)'),
};

function cString(buffer) {
  const end = buffer.indexOf(0);
  return buffer.toString('utf8', 0, end === -1 ? buffer.length : end);
}

const errstr = Buffer.alloc(ERRSTR_SIZE);
const conf = rd.confNew();
// Level 3 (error) keeps the mock's warnings about idle client disconnects out of stderr.
if (rd.confSet(conf, 'log_level', '3', errstr, ERRSTR_SIZE) !== 0) {
  fail(`rd_kafka_conf_set(log_level): ${cString(errstr)}`);
}
// rd_kafka_new takes ownership of conf, also on failure.
const rk = rd.kafkaNew(0, conf, errstr, ERRSTR_SIZE);
if (rk === null) fail(`rd_kafka_new: ${cString(errstr)}`);

const mc = rd.clusterNew(rk, brokerCount);
if (mc === null) {
  rd.destroy(rk);
  fail('rd_kafka_mock_cluster_new returned NULL');
}

let destroyed = false;
function shutdown(code) {
  // Exiting with the mock's threads still running can segfault, so always tear down first.
  if (!destroyed) {
    destroyed = true;
    rd.clusterDestroy(mc);
    rd.destroy(rk);
  }
  process.exit(code);
}

const replicationFactor = Math.min(brokerCount, 3);
for (const topic of topics) {
  const err = rd.topicCreate(mc, topic, partitions, replicationFactor);
  if (err !== 0) {
    process.stderr.write(`kafka-mock: creating topic '${topic}': ${rd.err2str(err)}\n`);
    shutdown(1);
  }
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('uncaughtException', (err) => {
  process.stderr.write(`kafka-mock: ${err.stack ?? String(err)}\n`);
  shutdown(1);
});

// A launcher must not outlive whoever started it: watch the stdin pipe (closes when the parent
// dies) and, for parents that did not give us a pipe, the parent pid (changes on re-parenting).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutdown(0);
}, 1000);
const stdin = fs.fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.resume();
}

process.stdout.write(`${JSON.stringify({ ready: true, brokers: rd.bootstraps(mc) })}\n`);
