// What unit and integration configs share: TypeScript through ts-jest, libs from source.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }],
  },
  moduleNameMapper: {
    '^@rewards/(contracts|messaging|service-kit|testing)$': '<rootDir>/libs/$1/src/index.ts',
    '^@rewards/api-client$': '<rootDir>/libs/api-client/src/rewards-api.ts',
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
