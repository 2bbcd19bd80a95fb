// Integration and end-to-end tests against a real Postgres and a Kafka-protocol broker, started
// once for the run (or taken from DATABASE_URL / KAFKA_BROKERS when those are set).
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.preset'),
  testMatch: [
    '<rootDir>/{libs,services,tools,test}/**/*.int-spec.ts',
    '<rootDir>/{services,test}/**/*.e2e-spec.ts',
  ],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 180000,
  // One file at a time per process: a process's files share its Postgres schemas and consumer
  // groups. `npm run test:int` runs shards side by side instead (jest.int-shards.js).
  maxWorkers: 1,
  testSequencer: '<rootDir>/jest.sequencer.js',
};
