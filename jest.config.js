/** Unit tests (test/unit) run in milliseconds; e2e tests (test/e2e) each get their own database and Redis prefix. */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', diagnostics: false }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // content-disposition (under @fastify/static, which serves the Swagger UI) ships only ES modules.
  transform: { '^.+\\.ts$': tsJest, 'node_modules/content-disposition/.+\\.js$': tsJest },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
};
