import type { AccountService } from '../accounts';
import type { NotificationInput, NotificationService } from '../notifications';
import type { Tx } from '../platform/database';

type FactoryKinds = 'statement_ready' | 'payout_sent' | 'payout_confirmed';
/** A notice to a factory: the same for each of its portal users. */
export type FactoryNotice = Extract<NotificationInput, { kind: FactoryKinds }> extends infer N ? (N extends unknown ? Omit<N, 'userId'> : never) : never;

/** Tells every portal user of a factory, in the caller's transaction (an API key has no inbox). */
export class FactoryNotifier {
  constructor(private readonly deps: { accounts: AccountService; notifications: NotificationService }) {}

  async notify(tx: Tx, factoryId: string, notice: FactoryNotice): Promise<void> {
    const users = await this.deps.accounts.listFactoryUsers(tx, factoryId);
    if (users.length > 0)
      await this.deps.notifications.notifyMany(
        tx,
        users.map((user) => ({ ...notice, userId: user.id }) as NotificationInput),
      );
  }
}
