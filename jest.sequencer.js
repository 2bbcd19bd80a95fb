// The integration suite runs in one process against one Postgres and one broker, so what a file
// leaves behind is what the next file starts from. Jest's own order puts failed and slow files
// first from a cache kept outside the checkout, which differs from one machine (and one run) to
// the next; this order is the one a run without that cache takes (largest file first, as a
// stand-in for slowest), made total by the path, so every run and every CI replays the same one.
//
// `--shard=i/n` (jest.int-shards.js runs the shards side by side, each with its own Postgres and
// broker) splits the files by their measured durations (test/int-durations.json), longest first
// onto the shard with the least so far, so the shards end together; jest's own split hashes the
// paths and can leave one shard with most of the time. A file not in the table counts as
// UNMEASURED_SECONDS. The split depends only on the file list and the table: every run of a
// checkout puts every file on the same shard after the same predecessors.
const { readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const UNMEASURED_SECONDS = 5;

function measuredSeconds() {
  return JSON.parse(readFileSync(join(__dirname, 'test', 'int-durations.json'), 'utf8'));
}

module.exports = class FixedOrderSequencer extends Sequencer {
  sort(tests) {
    const size = (test) => statSync(test.path).size;
    return [...tests].sort((a, b) => size(b) - size(a) || a.path.localeCompare(b.path));
  }

  shard(tests, { shardIndex, shardCount }) {
    const table = measuredSeconds();
    const seconds = (test) => table[relative(__dirname, test.path)] ?? UNMEASURED_SECONDS;
    const longestFirst = [...tests].sort(
      (a, b) => seconds(b) - seconds(a) || a.path.localeCompare(b.path),
    );
    const loads = Array.from({ length: shardCount }, () => 0);
    const mine = [];
    for (const test of longestFirst) {
      const least = loads.indexOf(Math.min(...loads));
      loads[least] += seconds(test);
      if (least === shardIndex - 1) mine.push(test);
    }
    return mine;
  }
};
