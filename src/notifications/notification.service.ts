import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import type { PageQuery } from '../platform/http/paginate';
import { newId } from '../platform/ids';
import { NotificationRow, type NotificationKind } from './notification.entity';

export class NotificationService {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  async notify(tx: Tx, input: { userId: string; kind: NotificationKind; campaignId?: string; pledgeId?: string; message: string; data?: Record<string, unknown> }): Promise<void> {
    await tx.insert(NotificationRow, {
      id: newId(), userId: input.userId, kind: input.kind, campaignId: input.campaignId ?? null, pledgeId: input.pledgeId ?? null,
      message: input.message.slice(0, 500), data: input.data ?? {}, createdAt: this.deps.clock.now(),
    });
  }

  async listFor(userId: string, page: PageQuery): Promise<{ items: NotificationRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(NotificationRow, { where: { userId }, order: { createdAt: 'DESC', id: 'DESC' }, skip: page.offset, take: page.limit }));
    return { items, total };
  }
}
