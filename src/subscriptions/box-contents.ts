import { In } from 'typeorm';
import type { Database, Tx } from '../platform/database';
import { BoxContentsRow } from './subscription.entity';

/** The contents of these boxes, by id: one read per thousand distinct contents, however many boxes share them. */
export async function contentsOf(tx: Tx, boxes: Iterable<{ contentsId: string }>): Promise<Map<string, BoxContentsRow>> {
  const ids = [...new Set([...boxes].map((b) => b.contentsId))];
  const found = new Map<string, BoxContentsRow>();
  for (let i = 0; i < ids.length; i += 1000) {
    for (const contents of await tx.find(BoxContentsRow, { where: { id: In(ids.slice(i, i + 1000)) } })) found.set(contents.id, contents);
  }
  return found;
}

/**
 * Stores contents with plain multi-row INSERTs; contents another transaction stored are skipped (same id,
 * same content). In id order, so two planning batches storing the same contents lock them in the same order.
 */
export async function storeContents(db: Database, tx: Tx, contents: Iterable<BoxContentsRow>): Promise<void> {
  const rows = [...contents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 0; i < rows.length; i += 200) await db.insertEntities(tx, BoxContentsRow, rows.slice(i, i + 200), { ignoreDuplicates: true });
}
