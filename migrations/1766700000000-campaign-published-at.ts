import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * `campaigns.published_at`: a campaign is public once it has been published, whatever its status after. Before,
 * every status but draft was public, so a draft an operator discarded (cancelled) became public with its title,
 * prices and factory. Campaigns already there: a cancelled one counts as published if anyone pledged to it (it
 * was public then); one cancelled without a single pledge is taken as a discarded draft and hidden (if it was
 * published after all, nobody had joined it: hiding it loses no one's record). Every other non-draft was
 * published; its creation time stands in for the moment, which nothing reads.
 */
export class CampaignPublishedAt1766700000000 implements MigrationInterface {
  name = 'CampaignPublishedAt1766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('campaigns', new TableColumn(col.timestamp('published_at', true)));
    await q.query(
      `UPDATE campaigns SET published_at = created_at
       WHERE status <> 'draft' AND (status <> 'cancelled' OR EXISTS (SELECT 1 FROM pledges p WHERE p.campaign_id = campaigns.id))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('campaigns', 'published_at');
  }
}
