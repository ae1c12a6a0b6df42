export { Database, isConnectionLost, isUniqueViolation, storedTimestamp, type Dialect, type SqlValue, type Tx } from './database';
export { createDataSource } from './data-source';
export { fenColumn, jsonColumn, timestampColumn } from './columns';
export { col } from './schema';
export { openDatabase } from './open';
