import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';
import { boxContentsIdOf } from '../src/subscriptions/subscription.entity';

/**
 * A box's contents (items, day-by-day ready-to-eat table, uncovered days) move out of fruit_boxes into
 * fruit_box_contents, one row per distinct contents (most households of a size get the same box): a box
 * row shrinks from about 4.4 KB to about 300 B, which is what the planning job for 100,000 subscriptions
 * spent its time writing. Existing boxes keep their contents, moved over in pages.
 */
export class BoxContents1764700000000 implements MigrationInterface {
  name = 'BoxContents1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'fruit_box_contents',
        columns: [{ ...col.text('id', 64), isPrimary: true }, col.longText('items'), col.longText('coverage'), col.longText('uncovered')],
      }),
    );
    await q.addColumn('fruit_boxes', new TableColumn(col.text('contents_id', 64, true)));
    const ignore = q.connection.driver.options.type === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    for (let after = ''; ;) {
      const boxes = (await q.query('SELECT id, items, coverage, uncovered FROM fruit_boxes WHERE id > ? ORDER BY id LIMIT 500', [after])) as {
        id: string;
        items: string;
        coverage: string;
        uncovered: string;
      }[];
      if (boxes.length === 0) break;
      after = boxes.at(-1)!.id;
      for (const box of boxes) {
        const id = boxContentsIdOf({ items: JSON.parse(box.items), coverage: JSON.parse(box.coverage), uncovered: JSON.parse(box.uncovered) });
        await q.query(`${ignore} INTO fruit_box_contents (id, items, coverage, uncovered) VALUES (?, ?, ?, ?)`, [id, box.items, box.coverage, box.uncovered]);
        await q.query('UPDATE fruit_boxes SET contents_id = ? WHERE id = ?', [id, box.id]);
      }
    }
    await q.changeColumn('fruit_boxes', 'contents_id', new TableColumn(col.text('contents_id', 64)));
    await q.dropColumns('fruit_boxes', ['items', 'coverage', 'uncovered']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.addColumns(
      'fruit_boxes',
      ['items', 'coverage', 'uncovered'].map((name) => new TableColumn(col.longText(name, true))),
    );
    for (const name of ['items', 'coverage', 'uncovered']) {
      await q.query(`UPDATE fruit_boxes SET ${name} = (SELECT c.${name} FROM fruit_box_contents c WHERE c.id = fruit_boxes.contents_id)`);
    }
    await q.dropColumn('fruit_boxes', 'contents_id');
    await q.dropTable('fruit_box_contents', true);
  }
}
