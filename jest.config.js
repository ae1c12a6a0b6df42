/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The resilience suite (many processes, faults, fuzzing, soak), the browser tests and the Spider check have their own commands.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/resilience/', '<rootDir>/test/e2e/', '<rootDir>/test/compat/'],
  // swc compiles our TypeScript and agenda 6's ESM files to CommonJS: jest 30 on Node 20 cannot require(esm).
  // Types are checked separately by `npm run typecheck`.
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true, importAttributes: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!agenda/)'],
  // Each worker gets its own database (SQLite file or MariaDB schema), so two workers never share state.
  maxWorkers: 2,
  // Names the run, whose reusable MariaDB schemas (one per worker, test/support/database.ts) are dropped at its end.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Generous: heavy tests (a thousand concurrent requests, real processes) slow down a lot on a loaded machine.
  testTimeout: 60000,
};
