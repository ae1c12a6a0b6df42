import { In } from 'typeorm';
import type { Clock } from '../platform/clock';
import { type Database, isUniqueViolation } from '../platform/database';
import { notFound } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { newTimeOrderedId } from '../platform/ids';
import { ShopConsentEventRow, ShopConsentRow, ShopRow } from './shop.entity';

type Consumer = Extract<Principal, { role: 'consumer' }>;

/** A consent as its consumer sees it: the shop, whether the phone is shared now, and every change with its time. */
export interface Consent {
  shop: ShopRow;
  share: boolean;
  /** null: never consented. */
  changedAt: Date | null;
  history: { share: boolean; at: Date }[];
}

/**
 * Consents to show a consumer's phone number whole to one shop owner (docs/shop-owners.md § Privacy; PIPL
 * art. 23: giving personal information to another handler needs the person's separate consent). Never
 * assumed: no row means masked. Each change of the state in force is recorded in `shop_consent_events`
 * (only ever inserted into) in the transaction that changes it, and a withdrawal counts from the next read.
 */
export class ShopConsents {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  /** Grants (`share`) or withdraws consent for the shop with this code; asking for the state in force records nothing. */
  async set(consumer: Consumer, code: string, share: boolean): Promise<Consent> {
    const shop = await this.deps.db.read((tx) => tx.findOneBy(ShopRow, { code, status: 'approved' }));
    if (!shop) throw notFound('The shop');
    const key = { userId: consumer.userId, shopId: shop.id };
    for (let attempt = 1; ; attempt++) {
      const now = this.deps.clock.now();
      try {
        await this.deps.db.transaction(async (tx) => {
          const current = await tx.findOne(ShopConsentRow, { where: key, lock: this.deps.db.rowLock() });
          if ((current?.share ?? false) === share) return;
          if (current) await tx.update(ShopConsentRow, key, { share, changedAt: now });
          else await tx.insert(ShopConsentRow, { ...key, share, changedAt: now });
          await tx.insert(ShopConsentEventRow, { id: newTimeOrderedId(), ...key, share, at: now });
        });
        break;
      } catch (error) {
        // Two first grants at once: the second finds the row the first inserted on its retry.
        if (!isUniqueViolation(error) || attempt >= 3) throw error;
      }
    }
    return (await this.consentsOf(consumer.userId, [shop.id]))[0] ?? { shop, share: false, changedAt: null, history: [] };
  }

  /** Every shop the consumer ever consented to, newest change first, each with its history (oldest first). */
  async mine(consumer: Consumer): Promise<Consent[]> {
    return this.consentsOf(consumer.userId);
  }

  /** Of these consumers, those who share their phone with this shop now. */
  async sharingWith(shopId: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.deps.db.read((tx) => tx.find(ShopConsentRow, { where: { shopId, userId: In([...new Set(userIds)]), share: true } }));
    return new Set(rows.map((r) => r.userId));
  }

  private async consentsOf(userId: string, shopIds?: string[]): Promise<Consent[]> {
    return this.deps.db.read(async (tx) => {
      const where = shopIds ? { userId, shopId: In(shopIds) } : { userId };
      const consents = await tx.find(ShopConsentRow, { where, order: { changedAt: 'DESC', shopId: 'ASC' } });
      if (consents.length === 0) return [];
      const ids = consents.map((c) => c.shopId);
      const [shops, events] = await Promise.all([
        tx.find(ShopRow, { where: { id: In(ids) } }),
        tx.find(ShopConsentEventRow, { where: { userId, shopId: In(ids) }, order: { at: 'ASC', id: 'ASC' } }), // ids are time-ordered: two changes in one millisecond keep their order
      ]);
      const shopById = new Map(shops.map((s) => [s.id, s]));
      return consents.map((c) => ({
        shop: shopById.get(c.shopId)!,
        share: c.share,
        changedAt: c.changedAt,
        history: events.filter((e) => e.shopId === c.shopId).map((e) => ({ share: e.share, at: e.at })),
      }));
    });
  }
}
