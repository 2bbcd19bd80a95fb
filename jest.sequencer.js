// The integration suite runs in one process against one Postgres and one broker, so what a file
// leaves behind is what the next file starts from. Jest's own order puts failed and slow files
// first from a cache kept outside the checkout, which differs from one machine (and one run) to
// the next; this order is the one a run without that cache takes (largest file first, as a
// stand-in for slowest), made total by the path, so every run and every CI replays the same one.
const { statSync } = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

module.exports = class FixedOrderSequencer extends Sequencer {
  sort(tests) {
    const size = (test) => statSync(test.path).size;
    return [...tests].sort((a, b) => size(b) - size(a) || a.path.localeCompare(b.path));
  }
};
