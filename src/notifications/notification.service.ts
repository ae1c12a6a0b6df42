import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import type { PageQuery } from '../platform/http/paginate';
import { newId } from '../platform/ids';
import { NotificationRow } from './notification.entity';
import { DEFAULT_LANGUAGE } from '../platform/http/language';
import { type NotificationData, type NotificationKind, renderNotification } from './templates';

/** A notification: its kind and the facts its templates need (templates.ts), checked by the type of `data`. */
export type NotificationInput = {
  [K in NotificationKind]: { userId: string; kind: K; campaignId?: string | null; pledgeId?: string | null; data: NotificationData<K> };
}[NotificationKind];

export class NotificationService {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  async notify(tx: Tx, input: NotificationInput): Promise<void> {
    await this.notifyMany(tx, [input]);
  }

  /** Several notifications with one INSERT. */
  async notifyMany(tx: Tx, inputs: readonly NotificationInput[]): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.insertEntities(
      tx,
      NotificationRow,
      inputs.map((input) =>
        Object.assign(new NotificationRow(), {
          id: newId(),
          userId: input.userId,
          kind: input.kind,
          campaignId: input.campaignId ?? null,
          pledgeId: input.pledgeId ?? null,
          message: this.render(input).slice(0, 500),
          data: input.data,
          createdAt: now,
        }),
      ),
    );
  }

  /** The stored sentence: Chinese, the default language. A writer whose facts its template refuses is a bug, found here rather than by a reader. */
  private render(input: NotificationInput): string {
    const message = renderNotification(input.kind, input.data, DEFAULT_LANGUAGE);
    if (message === undefined) throw new Error(`notification ${input.kind} lacks what its template needs: ${JSON.stringify(input.data)}`);
    return message;
  }

  async listFor(userId: string, page: PageQuery): Promise<{ items: NotificationRow[]; total: number }> {
    const [items, total] = await this.deps.db.read((tx) =>
      tx.findAndCount(NotificationRow, { where: { userId }, order: { createdAt: 'DESC', id: 'DESC' }, skip: page.offset, take: page.limit }),
    );
    return { items, total };
  }
}
