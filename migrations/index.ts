import { Foundation1764000000000 } from './1764000000000-foundation';

/** Every migration, in order. One set for MySQL and SQLite. */
export const migrations = [Foundation1764000000000];
