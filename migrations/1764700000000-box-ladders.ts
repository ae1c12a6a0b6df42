import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';
import { ladderIdOf } from '../src/subscriptions/subscription.entity';

/**
 * A box's day-by-day ready-to-eat table moves out of fruit_boxes into fruit_box_ladders, one row per
 * distinct ladder (most households of a size get the same one): a box row shrinks from about 4.4 KB to
 * about 1.2 KB, which is what the planning job for 100,000 subscriptions spent its time writing.
 * Existing boxes keep their ladders, moved over in pages.
 */
export class BoxLadders1764700000000 implements MigrationInterface {
  name = 'BoxLadders1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({ name: 'fruit_box_ladders', columns: [{ ...col.text('id', 64), isPrimary: true }, col.longText('coverage'), col.longText('uncovered')] }));
    await q.addColumn('fruit_boxes', new TableColumn(col.text('ladder_id', 64, true)));
    const ignore = q.connection.driver.options.type === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    for (let after = ''; ;) {
      const boxes = (await q.query('SELECT id, coverage, uncovered FROM fruit_boxes WHERE id > ? ORDER BY id LIMIT 500', [after])) as { id: string; coverage: string; uncovered: string }[];
      if (boxes.length === 0) break;
      after = boxes.at(-1)!.id;
      for (const box of boxes) {
        const ladder = { coverage: JSON.parse(box.coverage), uncovered: JSON.parse(box.uncovered) };
        const id = ladderIdOf(ladder);
        await q.query(`${ignore} INTO fruit_box_ladders (id, coverage, uncovered) VALUES (?, ?, ?)`, [id, box.coverage, box.uncovered]);
        await q.query('UPDATE fruit_boxes SET ladder_id = ? WHERE id = ?', [id, box.id]);
      }
    }
    await q.changeColumn('fruit_boxes', 'ladder_id', new TableColumn(col.text('ladder_id', 64)));
    await q.dropColumns('fruit_boxes', ['coverage', 'uncovered']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.addColumns('fruit_boxes', [new TableColumn(col.longText('coverage', true)), new TableColumn(col.longText('uncovered', true))]);
    await q.query('UPDATE fruit_boxes SET coverage = (SELECT l.coverage FROM fruit_box_ladders l WHERE l.id = fruit_boxes.ladder_id), uncovered = (SELECT l.uncovered FROM fruit_box_ladders l WHERE l.id = fruit_boxes.ladder_id)');
    await q.dropColumn('fruit_boxes', 'ladder_id');
    await q.dropTable('fruit_box_ladders', true);
  }
}
