import { z } from 'zod';
import { pageQuery } from '../platform/http/paginate';
import { formatMoney, moneyString } from '../platform/money';
import type { Consent } from './shop-consents';
import type { Customer, ShopOrder } from './shop-orders';
import { ShopCodeParams } from './shop.schemas';

export const ShopConsentParams = ShopCodeParams;
export const ShopConsentBody = z.strictObject({
  share: z.boolean().meta({ description: 'true: the shop owner sees the phone number whole on the orders attributed to them; false: masked again at once' }),
});

export const ShopOrdersQuery = pageQuery.extend({
  kind: z.enum(['pledge', 'subscription']).default('pledge').meta({ description: 'Pledges (the default) or fruit-box subscriptions' }),
});

const CustomerDocument = z
  .object({
    phone: z
      .string()
      .nullable()
      .meta({ description: 'Masked (138****5678) unless the consumer consented to share it with this shop owner; null: the account has no phone number' }),
    phoneShared: z.boolean().meta({ description: 'Whether the consumer consents, now, to share their phone number with this shop owner' }),
  })
  .meta({ id: 'ShopCustomer' });

const common = { id: z.uuid(), createdAt: z.iso.datetime(), customer: CustomerDocument };

export const ShopOrderDocument = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('pledge'),
      ...common,
      campaignId: z.uuid(),
      campaignTitle: z.string(),
      variant: z.record(z.string(), z.string()),
      quantity: z.int(),
      status: z.enum(['awaiting_deposit', 'active', 'awaiting_balance', 'paid', 'expired', 'cancelled', 'refunded', 'forfeited']),
      paid: moneyString.meta({ description: 'Paid so far (deposit, balance) less what was refunded' }),
    }),
    z.object({
      kind: z.literal('subscription'),
      ...common,
      planId: z.string(),
      planName: z.object({ zh: z.string(), en: z.string() }),
      status: z.enum(['active', 'paused', 'cancelled']),
    }),
  ])
  .meta({ id: 'ShopOrder' });

export const ShopConsentDocument = z
  .object({
    code: z.string(),
    name: z.string().meta({ description: "The shop owner's shop name" }),
    share: z.boolean(),
    changedAt: z.iso.datetime().nullable().meta({ description: 'When the state in force was set; null: never consented' }),
    history: z.array(z.object({ share: z.boolean(), at: z.iso.datetime() })).meta({ description: 'Every grant and withdrawal, oldest first' }),
  })
  .meta({ id: 'ShopConsent' });

export function toShopOrderDto(order: ShopOrder & { customer: Customer }): z.output<typeof ShopOrderDocument> {
  const common = { id: order.id, createdAt: order.createdAt.toISOString(), customer: order.customer };
  if (order.kind === 'subscription') return { kind: order.kind, ...common, planId: order.planId, planName: order.planName, status: order.status };
  return {
    kind: order.kind,
    ...common,
    campaignId: order.campaignId,
    campaignTitle: order.campaignTitle,
    variant: order.variant,
    quantity: order.quantity,
    status: order.status as 'paid',
    paid: formatMoney(order.paid),
  };
}

export function toShopConsentDto(c: Consent): z.output<typeof ShopConsentDocument> {
  return {
    code: c.shop.code!,
    name: c.shop.name,
    share: c.share,
    changedAt: c.changedAt?.toISOString() ?? null,
    history: c.history.map((h) => ({ share: h.share, at: h.at.toISOString() })),
  };
}
