// `npm run test:resilience`: several processes on one database, killed processes and connections,
// gateway faults, fuzzing and security tests. CI runs it on MariaDB.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = { ...base, roots: ['<rootDir>/test/resilience'], testPathIgnorePatterns: ['/node_modules/'], maxWorkers: 1, testTimeout: 600000 };
