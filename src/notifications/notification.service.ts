import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import type { PageQuery } from '../platform/http/paginate';
import { newId } from '../platform/ids';
import { NotificationRow, type NotificationKind } from './notification.entity';

export interface NotificationInput {
  userId: string;
  kind: NotificationKind;
  campaignId?: string | null;
  pledgeId?: string | null;
  message: string;
  data?: Record<string, unknown>;
}

export class NotificationService {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  async notify(tx: Tx, input: NotificationInput): Promise<void> {
    await this.notifyMany(tx, [input]);
  }

  /** Several notifications with one INSERT. */
  async notifyMany(tx: Tx, inputs: readonly NotificationInput[]): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.insertRows(
      tx,
      'consumer_notifications',
      inputs.map((input) => ({
        id: newId(), user_id: input.userId, kind: input.kind, campaign_id: input.campaignId ?? null, pledge_id: input.pledgeId ?? null,
        message: input.message.slice(0, 500), data: JSON.stringify(input.data ?? {}), created_at: now,
      })),
    );
  }

  async listFor(userId: string, page: PageQuery): Promise<{ items: NotificationRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(NotificationRow, { where: { userId }, order: { createdAt: 'DESC', id: 'DESC' }, skip: page.offset, take: page.limit }));
    return { items, total };
  }
}
