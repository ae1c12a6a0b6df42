// `scripts/spider-check.sh`: the service on a sharded MySQL-compatible database (MariaDB Spider), servers the script starts.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = { ...base, roots: ['<rootDir>/test/compat'], testPathIgnorePatterns: ['/node_modules/'], maxWorkers: 1, testTimeout: 600000 };
