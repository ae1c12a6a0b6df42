import { startTestApp, type TestApp } from '../support/app';

let t: TestApp;
beforeAll(async () => (t = await startTestApp()));
afterAll(() => t.close());

describe('units of database work', () => {
  test('work opened inside other work is refused at once (on SQLite it would wait forever for its own queue), and the outer work still completes', async () => {
    const outcome = await t.db.transaction(async (tx) => {
      const nested = await t.db
        .read((inner) => inner.query('SELECT 1'))
        .then(
          () => 'ran',
          (error: Error) => error.message,
        );
      await tx.query('SELECT 1');
      return nested;
    });
    expect(outcome).toMatch(/nested database work/);
    await expect(t.db.read((tx) => tx.query('SELECT 1 AS one'))).resolves.toEqual([{ one: 1 }]);
  });
});
