/** Unit tests (test/unit) run in milliseconds; e2e tests (test/e2e) each get their own database and Redis prefix. */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', diagnostics: false }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // jose v6 (credential signing) ships only ES modules; Node >= 20.19 require()s it natively, but Jest's module
  // runtime does not, so ts-jest transpiles it to CommonJS.
  transform: { '^.+\\.ts$': tsJest, 'node_modules/jose/.+\\.js$': tsJest },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
};
