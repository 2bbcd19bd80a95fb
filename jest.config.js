// Unit tests: `*.spec.ts` beside the code, no I/O.
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.preset'),
  testMatch: ['<rootDir>/{libs,services,tools,chaos,test}/**/*.spec.ts'],
  // A worker per core (jest's default leaves one core out: one worker on two cores); two ran the
  // suite in 62 s instead of 83 on a two-core machine.
  maxWorkers: '100%',
};
