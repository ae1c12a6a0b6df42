import { type TestApp, startTestApp } from '../support/app';
import { FOREIGN_KEYS_TO_DROP, type Placement, SHARD_PLAN, type TableShape, readSchema } from '../support/shard-plan';

/**
 * The migrated schema, read back from the database, against the sharding plan of docs/scaling-out.md: what a
 * MySQL-compatible distributed database (Vitess, TiDB) needs of it. A new table must be placed in the plan.
 */
let t: TestApp;
let schema: Record<string, TableShape>;

beforeAll(async () => {
  t = await startTestApp();
  schema = await readSchema(t.db);
});
afterAll(() => t.close());

const sharded = () => Object.entries(SHARD_PLAN).filter((e): e is [string, Extract<Placement, { shardBy: string }>] => 'shardBy' in e[1]);
const placementOf = (table: string) => SHARD_PLAN[table];
const sameShard = (child: string, columns: string[], parent: string, parentColumns: string[]) => {
  const [c, p] = [placementOf(child), placementOf(parent)];
  if ('unsharded' in c && 'unsharded' in p) return true;
  // Co-located: the child's shard column points at the parent's shard column.
  return 'shardBy' in c && 'shardBy' in p && columns.length === 1 && columns[0] === c.shardBy && parentColumns[0] === p.shardBy;
};

test('every table is placed by the plan, and every table of the plan exists', () => {
  expect(Object.keys(schema).sort()).toEqual(Object.keys(SHARD_PLAN).sort());
});

test('every table has a primary key (Vitess and TiDB both need one to route and to move rows)', () => {
  const without = Object.entries(schema).filter(([, shape]) => shape.primaryKey.length === 0);
  expect(without.map(([table]) => table)).toEqual([]);
});

test('each sharded table has its shard column, and an index that starts with it (the key every hot query is routed by)', () => {
  for (const [table, { shardBy }] of sharded()) {
    expect({ table, has: schema[table].columns.includes(shardBy) }).toEqual({ table, has: true });
    expect({ table, indexed: schema[table].indexes.some((columns) => columns[0] === shardBy) }).toEqual({ table, indexed: true });
  }
});

test('each unique key of a sharded table holds the shard column, or the plan says why it stays unique anyway', () => {
  for (const [table, { shardBy, uniqueAnyway = {} }] of sharded()) {
    const without = schema[table].uniqueKeys.filter((columns) => !columns.includes(shardBy)).map((columns) => columns.join(','));
    expect({ table, without: without.sort() }).toEqual({ table, without: Object.keys(uniqueAnyway).sort() });
  }
});

test('each foreign key joins two tables on the same shard, or is one of those the plan drops', () => {
  const crossing: string[] = [];
  for (const [table, shape] of Object.entries(schema))
    for (const fk of shape.foreignKeys)
      if (!sameShard(table, fk.columns, fk.parent, fk.parentColumns)) crossing.push(`${table}.${fk.columns.join(',')} → ${fk.parent}`);
  expect(crossing.sort()).toEqual(Object.keys(FOREIGN_KEYS_TO_DROP).sort());
});

test('no triggers and no stored routines: Vitess routes each statement itself, and TiDB has no stored procedures', async () => {
  const count = (query: string) => t.db.read(async (tx) => Number((await t.db.sql<{ n: number }>(tx, query)).rows[0].n));
  const objects =
    t.db.dialect === 'mysql'
      ? (await count('SELECT COUNT(*) AS n FROM information_schema.triggers WHERE trigger_schema = DATABASE()')) +
        (await count('SELECT COUNT(*) AS n FROM information_schema.routines WHERE routine_schema = DATABASE()'))
      : await count("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger'");
  expect(objects).toBe(0);
});
