import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Product concepts and their sample trials (docs/selection.md § Concepts): `concepts` holds a proposal and,
 * once launched, its campaign and who launched it (with the override's reason when it was below the gate).
 * `concept_trial_applications` holds each shop owner's application for a sample, one per shop and concept
 * (unique), picked or not. `concept_ratings` holds each picked shop owner's rating, one per shop and concept
 * (unique: two first ratings sent at once make one row).
 */
export class Concepts1765900000000 implements MigrationInterface {
  name = 'Concepts1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'concepts',
        columns: [
          col.id(),
          col.ref('factory_id'),
          col.text('proposed_by', 16),
          col.text('status', 16),
          col.text('title', 200),
          col.longText('description'),
          col.longText('photo_urls'),
          col.longText('options'),
          col.fen('target_price_fen'),
          col.int('minimum_run'),
          col.int('trial_places'),
          col.timestamp('trial_opens_at'),
          col.timestamp('trial_closes_at'),
          col.text('rejection_reason', 500, true),
          col.ref('campaign_id', true),
          col.ref('launched_by', true),
          col.timestamp('launched_at', true),
          col.text('override_reason', 1000, true),
          col.timestamp('created_at'),
          col.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'ix_concepts_factory', columnNames: ['factory_id', 'created_at'] }),
          new TableIndex({ name: 'ix_concepts_status', columnNames: ['status', 'trial_closes_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'concept_trial_applications',
        columns: [
          col.id(),
          col.ref('concept_id'),
          col.ref('shop_id'),
          col.text('status', 16),
          col.timestamp('applied_at'),
          col.ref('picked_by', true),
          col.timestamp('picked_at', true),
        ],
        indices: [new TableIndex({ name: 'uq_concept_applications_shop', columnNames: ['concept_id', 'shop_id'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'concept_ratings',
        columns: [
          col.id(),
          col.ref('concept_id'),
          col.ref('shop_id'),
          col.int('performance'),
          col.int('price_acceptance'),
          col.int('design'),
          col.int('packaging'),
          col.text('comment', 1000),
          col.bool('would_preorder', false),
          col.int('preorder_units'),
          col.timestamp('created_at'),
          col.timestamp('updated_at'),
        ],
        indices: [new TableIndex({ name: 'uq_concept_ratings_shop', columnNames: ['concept_id', 'shop_id'], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('concept_ratings', true);
    await q.dropTable('concept_trial_applications', true);
    await q.dropTable('concepts', true);
  }
}
