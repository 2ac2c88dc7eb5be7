/** Unit tests (test/unit) run in milliseconds; e2e tests (test/e2e) each get their own database and Redis prefix. */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', diagnostics: false }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // content-disposition (under @fastify/static, which serves the Swagger UI) and jose v6 (credential signing) ship
  // only ES modules; Node >= 20.19 require()s them natively, but Jest's module runtime does not, so ts-jest
  // transpiles them to CommonJS.
  transform: { '^.+\\.ts$': tsJest, 'node_modules/(content-disposition|jose)/.+\\.js$': tsJest },
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|jose)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
};
