// Unit tests: `*.spec.ts` beside the code, no I/O.
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.preset'),
  testMatch: ['<rootDir>/{libs,services,tools,chaos,test}/**/*.spec.ts'],
};
