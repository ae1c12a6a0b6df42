import type { Clock } from '../platform/clock';
import { type Database, isUniqueViolation, storedTimestamp } from '../platform/database';
import { conflict, notFound } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { ShopBindingRow, ShopRow } from './shop.entity';

type Consumer = Extract<Principal, { role: 'consumer' }>;

export interface Binding {
  shop: ShopRow;
  boundAt: Date;
  expiresAt: Date;
}

/**
 * Attribution (docs/shop-owners.md): a consumer who arrives through a shop owner's link is bound to that
 * shop owner for `bindingDays`; the first binding wins while it lasts, and another link replaces it only
 * once it has expired. A shop owner is nobody's customer. Pledges and subscriptions ask `shopOf` as they
 * are made (the pledges' and subscriptions' attribution ports).
 */
export class ShopBindings {
  constructor(private readonly deps: { db: Database; clock: Clock; bindingDays: number }) {}

  /** Binds the caller to the shop with this code unless a binding is in force; answers the binding in force either way. */
  async bind(consumer: Consumer, code: string): Promise<Binding> {
    const now = this.deps.clock.now();
    const [shop, own] = await this.deps.db.read((tx) =>
      Promise.all([tx.findOneBy(ShopRow, { code, status: 'approved' }), tx.existsBy(ShopRow, { openUserId: consumer.userId, status: 'approved' })]),
    );
    if (!shop) throw notFound('The shop');
    if (own) throw conflict('shop_owner_not_bindable', '店主不能绑定到店铺（包括自己的）。 A shop owner cannot be bound to a shop, their own or another.');
    const binding = { userId: consumer.userId, shopId: shop.id, boundAt: now, expiresAt: new Date(now.getTime() + this.deps.bindingDays * 86_400_000) };
    try {
      await this.deps.db.statement((tx) => tx.insert(ShopBindingRow, binding));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A binding exists: it is replaced only if it has expired, by one conditional update (the first of two racers wins).
      await this.deps.db.statement((tx) =>
        this.deps.db.sql(tx, 'UPDATE shop_bindings SET shop_id = ?, bound_at = ?, expires_at = ? WHERE user_id = ? AND expires_at <= ?', [
          shop.id,
          now,
          binding.expiresAt,
          consumer.userId,
          now,
        ]),
      );
    }
    return (await this.mine(consumer))!;
  }

  /** The caller's binding in force, with its shop, or undefined. */
  async mine(consumer: Consumer): Promise<Binding | undefined> {
    const now = this.deps.clock.now();
    return this.deps.db.read(async (tx) => {
      const binding = await tx.findOneBy(ShopBindingRow, { userId: consumer.userId });
      if (!binding || binding.expiresAt <= now) return undefined;
      const shop = await tx.findOneByOrFail(ShopRow, { id: binding.shopId });
      return { shop, boundAt: binding.boundAt, expiresAt: binding.expiresAt };
    });
  }

  /** The shop a consumer is attributed to at `at`, or null: one primary-key read, outside any transaction. */
  async shopOf(userId: string, at: Date): Promise<string | null> {
    return (await this.shopsOf([userId], at)).get(userId)?.shopId ?? null;
  }

  /**
   * The binding in force at `at` of each of these consumers (those bound to none are left out), with when it
   * ends, so that a caller placing a batch can tell for each moment in it: one read.
   */
  async shopsOf(userIds: readonly string[], at: Date): Promise<Map<string, { shopId: string; expiresAt: Date }>> {
    const users = [...new Set(userIds)];
    if (users.length === 0) return new Map();
    const { rows } = await this.deps.db.read((tx) =>
      this.deps.db.sql<{ user_id: string; shop_id: string; expires_at: Date | string }>(
        tx,
        `SELECT user_id, shop_id, expires_at FROM shop_bindings WHERE user_id IN (${users.map(() => '?').join(', ')}) AND expires_at > ?`,
        [...users, at],
      ),
    );
    return new Map(rows.map((r) => [r.user_id, { shopId: r.shop_id, expiresAt: storedTimestamp(r.expires_at) }]));
  }
}
