import { In } from 'typeorm';
import { chunks } from '../platform/chunks';
import type { Database, Tx } from '../platform/database';
import { BoxContentsRow } from './subscription.entity';

/** Ids per read: an IN list well within what both databases take. */
const READ_CHUNK = 1000;

/**
 * The contents of these boxes, by id: one read per thousand distinct contents, however many boxes share them.
 *
 * On MySQL a transaction reads from the snapshot its first read took. Contents another transaction stored after
 * that moment are missing from it, yet this transaction's own boxes may point at them: its storeContents skipped
 * them as already stored (two households given the same box at once). Contents never change once stored, so the
 * ones the snapshot lacks are read again with a locking read, which sees every committed row. A shared lock:
 * storing them already took one (the duplicate-key check), and two transactions taking exclusive locks on
 * contents both hold shared would deadlock. In plain SQL, as TypeORM writes MariaDB's shared lock as MySQL 8's.
 */
export async function contentsOf(tx: Tx, boxes: Iterable<{ contentsId: string }>): Promise<Map<string, BoxContentsRow>> {
  const ids = [...new Set([...boxes].map((b) => b.contentsId))];
  const found = new Map<string, BoxContentsRow>();
  for (const chunk of chunks(ids, READ_CHUNK)) {
    for (const contents of await tx.find(BoxContentsRow, { where: { id: In(chunk) } })) found.set(contents.id, contents);
  }
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0 && tx.connection.options.type === 'mysql') {
    for (const chunk of chunks(missing, READ_CHUNK)) {
      const rows: { id: string; items: string; coverage: string; uncovered: string }[] = await tx.query(
        `SELECT id, items, coverage, uncovered FROM fruit_box_contents WHERE id IN (${chunk.map(() => '?').join(', ')}) LOCK IN SHARE MODE`,
        chunk,
      );
      for (const row of rows) {
        const contents = { items: JSON.parse(row.items), coverage: JSON.parse(row.coverage), uncovered: JSON.parse(row.uncovered) };
        found.set(row.id, Object.assign(new BoxContentsRow(), { id: row.id, ...contents }));
      }
    }
  }
  const lost = ids.find((id) => !found.has(id));
  if (lost !== undefined) throw new Error(`Box contents ${lost} are referred to by a box but not stored`);
  return found;
}

/**
 * Stores contents with plain multi-row INSERTs; contents another transaction stored are skipped (same id,
 * same content). In id order, so two planning batches storing the same contents lock them in the same order.
 */
export async function storeContents(db: Database, tx: Tx, contents: Iterable<BoxContentsRow>): Promise<void> {
  const rows = [...contents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const chunk of chunks(rows, 200)) await db.insertEntities(tx, BoxContentsRow, chunk, { ignoreDuplicates: true });
}
