import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col, setNullable } from '../src/platform/database/schema';

/**
 * Orchards' statements: one per orchard and ISO ship week (`period`, such as 2027-W09) for the fruit of the
 * boxes charged that week (`fruit_supplied_fen`), beside the campaigns' statements, which keep their campaign.
 * A week's statement finds the journal entries of its boxes by box id: indexed.
 */
export class OrchardStatements1765220000000 implements MigrationInterface {
  name = 'OrchardStatements1765220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('factory_statements', [new TableColumn(col.text('period', 8, true)), new TableColumn({ ...col.fen('fruit_supplied_fen'), default: 0 })]);
    await setNullable(q, 'factory_statements', ['campaign_id'], true);
    await q.createIndex(
      'factory_statements',
      new TableIndex({ name: 'uq_factory_statements_period', columnNames: ['period', 'factory_id', 'sequence'], isUnique: true }),
    );
    await q.createIndex('journal_entries', new TableIndex({ name: 'ix_journal_entries_box', columnNames: ['box_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('journal_entries', 'ix_journal_entries_box');
    await q.query('DELETE FROM factory_statement_entries WHERE statement_id IN (SELECT id FROM factory_statements WHERE campaign_id IS NULL)');
    await q.query('DELETE FROM factory_statements WHERE campaign_id IS NULL');
    await q.dropIndex('factory_statements', 'uq_factory_statements_period');
    await setNullable(q, 'factory_statements', ['campaign_id'], false);
    await q.dropColumns('factory_statements', ['period', 'fruit_supplied_fen']);
  }
}
