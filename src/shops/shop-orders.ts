import { type AccountService, maskPhone } from '../accounts';
import type { PageQuery } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import type { Decimal } from '../platform/money';
import type { AttributedSubscription, SubscriptionSchedule } from '../subscriptions';
import type { ShopConsents } from './shop-consents';
import type { ShopOwners } from './shop-owners';

type Consumer = Extract<Principal, { role: 'consumer' }>;

/** A pledge attributed to a shop, as the pledges module reads it (its `PledgeReads.attributedTo`). */
export interface AttributedPledgeOrder {
  id: string;
  userId: string;
  campaignId: string;
  campaignTitle: string;
  variant: Record<string, string>;
  quantity: number;
  status: string;
  paid: Decimal;
  createdAt: Date;
}

/** The pledges module's read of the pledges attributed to a shop: a port, since the shops module may not import pledges. */
export interface AttributedPledges {
  attributedTo(shopId: string, page: PageQuery): Promise<{ items: AttributedPledgeOrder[]; total: number }>;
}

/**
 * Who ordered, as the shop owner sees them: the phone number masked (`138****5678`) unless the consumer
 * consented to share it with this shop owner; null for an account that has no phone number. Nothing else
 * about the customer: no name, no address.
 */
export interface Customer {
  phone: string | null;
  phoneShared: boolean;
}

export type ShopOrder = ({ kind: 'pledge' } & AttributedPledgeOrder) | ({ kind: 'subscription' } & AttributedSubscription);

/**
 * A shop owner's orders (docs/shop-owners.md § Privacy): the pledges and subscriptions attributed to their
 * shop, each with its customer shown as `Customer`. Another shop owner's orders are never read: the shop
 * is the caller's own, found from their principal.
 */
export class ShopOrders {
  constructor(
    private readonly deps: {
      owners: ShopOwners;
      consents: ShopConsents;
      accounts: AccountService;
      pledges: AttributedPledges;
      subscriptions: Pick<SubscriptionSchedule, 'attributedTo'>;
    },
  ) {}

  async list(owner: Consumer, kind: ShopOrder['kind'], page: PageQuery): Promise<{ items: (ShopOrder & { customer: Customer })[]; total: number }> {
    const shop = await this.deps.owners.approvedOf(owner);
    const { items, total } = await this.ordersOf(shop.id, kind, page);
    const userIds = items.map((o) => o.userId);
    const [phones, sharing] = await Promise.all([this.deps.accounts.phonesOf(userIds), this.deps.consents.sharingWith(shop.id, userIds)]);
    return {
      items: items.map((order) => ({ ...order, customer: customerOf(phones.get(order.userId) ?? null, sharing.has(order.userId)) })),
      total,
    };
  }

  private async ordersOf(shopId: string, kind: ShopOrder['kind'], page: PageQuery): Promise<{ items: ShopOrder[]; total: number }> {
    if (kind === 'pledge') {
      const { items, total } = await this.deps.pledges.attributedTo(shopId, page);
      return { items: items.map((o) => ({ kind, ...o })), total };
    }
    const { items, total } = await this.deps.subscriptions.attributedTo(shopId, page);
    return { items: items.map((o) => ({ kind, ...o })), total };
  }
}

/** The national number (`13812345678`) when shared, else masked (`138****5678`). */
export function customerOf(e164: string | null, shared: boolean): Customer {
  if (e164 === null) return { phone: null, phoneShared: shared };
  return { phone: shared ? e164.replace(/^\+86/, '') : maskPhone(e164).replace(/^\+86 /, ''), phoneShared: shared };
}
