// `npm run test:e2e`: the factory portal in Debian's chromium (playwright-core), against the real
// service on the embedded default with demo data.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = { ...base, roots: ['<rootDir>/test/e2e'], testPathIgnorePatterns: ['/node_modules/'], maxWorkers: 1, testTimeout: 120000 };
