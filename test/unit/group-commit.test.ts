import { GroupCommit } from '../../src/platform/group-commit';

/** The batching itself, without a database: what is placed together, and what falls back to one by one. */
describe('group commit', () => {
  test('while one batch is being placed, the next requests wait and go together in the next one', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstBatchHeld = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit<number, string>(
      async (_key, items) => {
        batches.push(items);
        return items.map((n) => `batch:${n}`);
      },
      async (_key, item) => {
        batches.push([item]);
        await firstBatchHeld;
        return `alone:${item}`;
      },
    );
    const first = group.submit('hot', 0);
    const rest = [1, 2, 3, 4].map((n) => group.submit('hot', n));
    const other = group.submit('cold', 9);
    release();
    expect(await first).toBe('alone:0');
    expect(await Promise.all(rest)).toEqual(['batch:1', 'batch:2', 'batch:3', 'batch:4']);
    expect(await other).toBe('alone:9');
    expect(batches).toEqual([[0], [9], [1, 2, 3, 4]]);
  });

  test('a batch that fails is placed one by one, and each caller gets its own answer', async () => {
    let hold!: () => void;
    const held = new Promise<void>((resolve) => (hold = resolve));
    const group = new GroupCommit<number, string>(
      async () => {
        throw new Error('the batch does not fit');
      },
      async (_key, item) => {
        if (item === 0) await held;
        if (item === 2) throw new Error('sold out');
        return `alone:${item}`;
      },
    );
    const first = group.submit('hot', 0);
    const results = [1, 2, 3].map((n) => group.submit('hot', n).catch((e: Error) => e.message));
    hold();
    await first;
    expect(await Promise.all(results)).toEqual(['alone:1', 'sold out', 'alone:3']);
  });

  test('batches never exceed their maximum size', async () => {
    const sizes: number[] = [];
    let hold!: () => void;
    const held = new Promise<void>((resolve) => (hold = resolve));
    const group = new GroupCommit<number, number>(
      async (_key, items) => {
        sizes.push(items.length);
        return items;
      },
      async (_key, item) => {
        sizes.push(1);
        await held;
        return item;
      },
      3,
    );
    const all = Array.from({ length: 8 }, (_, n) => group.submit('hot', n));
    hold();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The first goes alone (nothing to wait for), the seven that queued behind it go 3 + 3 + 1.
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});
