import { startTestApp, type TestApp } from '../support/app';
import { freshDatabase } from '../support/database';
import { BoxContentsRow, boxContentsIdOf } from '../../src/subscriptions/subscription.entity';
import { contentsOf, storeContents } from '../../src/subscriptions/box-contents';

/**
 * A MariaDB transaction reads from the snapshot its first read took. Box contents are stored once, by whichever
 * transaction comes first; a later one skips them as already there, yet its boxes point at them. Here the
 * interleaving that two households subscribing at once to the same box hit by chance, made certain.
 */
let t: TestApp;

beforeAll(async () => {
  const database = await freshDatabase();
  if (database.config.kind !== 'mysql') throw new Error('This test is about MariaDB snapshots: set TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/test');
  t = await startTestApp({ database });
}, 120_000);
afterAll(() => t?.close());

test('contents another transaction stored after this one began are read, not lost', async () => {
  const mango = { fruitId: 'mango', units: 2, portions: 4, edibleFrom: '2027-07-10', edibleUntil: '2027-07-14', cost: '12.00', ripensFaster: false };
  const stored = { items: [mango], coverage: [], uncovered: [] };
  const contents = Object.assign(new BoxContentsRow(), { id: boxContentsIdOf(stored), ...stored });
  const seen = await t.db.transaction(async (tx) => {
    // This transaction's snapshot: taken by its first read, before the other transaction stores the contents.
    await tx.count(BoxContentsRow);
    await t.db.dataSource.transaction((other) => storeContents(t.db, other, [contents]));
    await storeContents(t.db, tx, [contents]);
    return contentsOf(tx, [{ contentsId: contents.id }]);
  });
  expect(seen.get(contents.id)).toMatchObject(stored);
});
