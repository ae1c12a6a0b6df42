import { z } from 'zod';
import { shownText } from '../platform/text';
import { formatMoney, moneyString, signedMoneyString } from '../platform/money';
import { phone } from '../accounts';
import { CampaignDocument } from '../campaigns';
import { LevelStandingDocument, toStandingDto } from '../commissions';
import { idSchema as id } from '../platform/ids';
import { pageQuery } from '../platform/http/paginate';
import { PlanDocument } from '../subscriptions';
import type { Binding } from './shop-bindings';
import type { Dashboard } from './shop-dashboard';
import { SHOP_STATUSES, type ShopRow } from './shop.entity';
import { CODE_ALPHABET, CODE_LENGTH, type ShopPage } from './shop-owners';

const greeting = z.string().trim().max(500);
const shopCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`), `must be a shop code (${CODE_LENGTH} characters)`)
  .meta({ examples: ['K7M2QX'] });

export const ShopApplicationParams = z.strictObject({ id });
export const ShopCodeParams = z.strictObject({ code: shopCode });

export const ApplyBody = z.strictObject({
  // The shop page's title and share card.
  name: shownText(1, 64),
  phone,
  wechatId: z.string().trim().min(1).max(64),
  greeting: greeting.default(''),
});

export const RefuseBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

export const UpdateShopBody = z.strictObject({
  greeting,
  campaignIds: z.array(id).max(50),
  planIds: z.array(z.string().trim().min(1).max(64)).max(20),
});

export const BindBody = z.strictObject({ code: shopCode });

export const VisitBody = z.strictObject({
  code: shopCode,
  campaignId: id.optional().meta({ description: 'The campaign page the link opened; absent for the shop page (/s/:code)' }),
  visitorId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8 to 64 letters, digits, - or _')
    .meta({ description: 'An anonymous id the browser keeps (localStorage): a visitor counts once per shop, campaign and day' }),
});

export const ShopApplicationQuery = pageQuery.extend({ status: z.enum(SHOP_STATUSES).optional() });

export const ShopApplicationDocument = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    status: z.enum(SHOP_STATUSES),
    code: z.string().nullable().meta({ description: 'The shop code, given at approval; null before' }),
    name: z.string(),
    phone: z.string(),
    wechatId: z.string(),
    greeting: z.string(),
    campaignIds: z.array(z.uuid()),
    planIds: z.array(z.string()),
    appliedAt: z.iso.datetime(),
    decidedBy: z.uuid().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    refusalReason: z.string().nullable(),
  })
  .meta({ id: 'ShopApplication' });

export const ShopPageDocument = z
  .object({
    code: z.string(),
    name: z.string(),
    greeting: z.string(),
    campaigns: z.array(CampaignDocument).meta({ description: 'The chosen campaigns the public may see (never drafts), in the order chosen' }),
    plans: z.array(PlanDocument).meta({ description: 'The chosen fruit-box plans that are offered' }),
  })
  .meta({ id: 'ShopPage' });

export const ShopBindingDocument = z
  .object({
    code: z.string(),
    name: z.string(),
    boundAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().meta({ description: 'Until then, links of other shop owners do not change the binding' }),
  })
  .meta({ id: 'ShopBinding' });

const Visits = {
  visits: z.int().meta({ description: 'Visitors counted, each at most once per China day' }),
  visitsToday: z.int().meta({ description: 'Of them, today (China time)' }),
};

export const ShopDashboardDocument = z
  .object({
    code: z.string(),
    name: z.string(),
    shopPage: z.object(Visits).meta({ description: 'Visits to the shop page (/s/:code)' }),
    campaigns: z.array(
      z.object({
        campaignId: z.uuid(),
        title: z.string().nullable().meta({ description: 'null if the campaign is no longer public' }),
        ...Visits,
        pledges: z.int().meta({ description: 'Pledges attributed to the shop whose deposit is paid and kept (as public progress counts them)' }),
        units: z.int(),
      }),
    ),
    level: LevelStandingDocument,
    commission: z
      .object({
        pending: signedMoneyString.meta({ description: 'Earned, not yet final: the purchase can still be refunded after-sale' }),
        settled: signedMoneyString.meta({ description: 'On a monthly statement, not yet paid out' }),
        paid: moneyString,
      })
      .meta({ description: "The shop owner's commission in money (docs/shop-owners.md § Pending, settled, paid)" }),
  })
  .meta({ id: 'ShopDashboard' });

export function toShopDashboardDto(d: Dashboard): z.output<typeof ShopDashboardDocument> {
  return {
    code: d.shop.code!,
    name: d.shop.name,
    shopPage: d.shopPage,
    campaigns: d.campaigns,
    level: toStandingDto(d.level),
    commission: { pending: formatMoney(d.commission.pending), settled: formatMoney(d.commission.settled), paid: formatMoney(d.commission.paid) },
  };
}

export function toShopApplicationDto(s: ShopRow): z.output<typeof ShopApplicationDocument> {
  return {
    id: s.id,
    userId: s.userId,
    status: s.status,
    code: s.code,
    name: s.name,
    phone: s.phone,
    wechatId: s.wechatId,
    greeting: s.greeting,
    campaignIds: s.campaignIds,
    planIds: s.planIds,
    appliedAt: s.appliedAt.toISOString(),
    decidedBy: s.decidedBy,
    decidedAt: s.decidedAt?.toISOString() ?? null,
    refusalReason: s.refusalReason,
  };
}

export function toShopPageDto({ shop, campaigns, plans }: ShopPage): z.input<typeof ShopPageDocument> {
  return { code: shop.code!, name: shop.name, greeting: shop.greeting, campaigns, plans };
}

export function toShopBindingDto(b: Binding): z.output<typeof ShopBindingDocument> {
  return { code: b.shop.code!, name: b.shop.name, boundAt: b.boundAt.toISOString(), expiresAt: b.expiresAt.toISOString() };
}
