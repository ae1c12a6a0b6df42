import { z } from 'zod';
import { formatBusinessTime } from '../platform/calendar';
import type { Language } from '../platform/http/language';
import { moneyString, parseMoney } from '../platform/money';

/**
 * Consumer notifications are stored as a kind and the facts they report (`data`); the sentence a person
 * reads is made from a template of that kind in their language when they read it (GET
 * /v1/me/notifications). Amounts are money strings ("1800.00"); instants are ISO strings, shown in China
 * time (formatBusinessTime); days are YYYY-MM-DD China days. A writer must give every fact its kind's
 * template needs: the types below make it, and the read side checks it again (old rows written before
 * templates lack them, and are shown with the message stored with them).
 */
const money = moneyString;
const instant = z.iso.datetime({ offset: true });
const day = z.iso.date();
const title = z.string();
/** A variant as a person reads it, in both languages ("黑色 / M", "Black / M"). */
const variantText = z.object({ zh: z.string(), en: z.string() });

export const NOTIFICATION_DATA = {
  deposit_received: z.object({ title, amount: money }),
  campaign_succeeded: z.object({ title, unitPrice: money, balance: money, dueAt: instant }),
  campaign_failed: z.object({ title, threshold: z.number().int(), deposit: money }),
  campaign_cancelled: z.object({ title, compensation: money.optional() }),
  variant_not_produced: z.object({ title, variant: variantText, deposit: money }),
  balance_reminder: z.object({ title, balance: money, dueAt: instant }),
  balance_received: z.object({ title, amount: money, shipDate: day }),
  refund_sent: z.object({ amount: money, reason: z.string() }),
  deposit_forfeited: z.object({ title, deposit: money, dueAt: instant }),
  after_sale_refunded: z.object({ title, amount: money, reason: z.string() }),
  pledge_expired: z.object({ title }),
  box_charged: z.object({ boxId: z.string(), amount: money, deliveryDate: day, shipDate: day }),
  box_charge_failed: z.object({ boxId: z.string(), deliveryDate: day, retryAt: instant }),
  box_cancelled: z.object({ boxId: z.string(), deliveryDate: day, attempts: z.number().int() }),
  box_compensated: z.object({ boxId: z.string(), deliveryDate: day, credit: money }),
  // To a factory's portal users: what a campaign earned it, and the money on its way.
  // A statement's net is negative where refunds and compensation exceed what the campaign earned.
  // Of a campaign (its title) or of an orchard's ISO ship week of fruit boxes (the week).
  statement_ready: z.object({ title: title.optional(), week: z.string().optional(), net: z.string().regex(/^-?(0|[1-9]\d{0,12})\.\d{2}$/) }),
  payout_sent: z.object({ amount: money }),
  payout_confirmed: z.object({ amount: money }),
  // To operators: a provider's statement of a day differs from our records (GET /v1/payments/statement-differences).
  statement_differences: z.object({ provider: z.string(), day, differences: z.number().int(), refunded: z.number().int() }),
  // To operators: a shop owner's commission on a campaign is held for review (docs/shop-owners.md § Holds).
  commission_held: z.object({ shop: z.string(), code: z.string(), title, amount: money, shopUnits: z.number().int(), totalUnits: z.number().int() }),
} as const;

export type NotificationKind = keyof typeof NOTIFICATION_DATA;
export type NotificationData<K extends NotificationKind = NotificationKind> = z.infer<(typeof NOTIFICATION_DATA)[K]>;

type Templates = { [K in NotificationKind]: Record<Language, (d: NotificationData<K>) => string> };

// The notices of one batch (a campaign's settlement writes a thousand at once) share their due time: it is
// formatted once, not once a notice (luxon's time-zone formatting was the settle's largest own CPU cost).
let lastAt = { key: '', text: '' };
const at = (iso: string, language: Language) => {
  const key = `${language} ${iso}`;
  if (lastAt.key !== key) lastAt = { key, text: formatBusinessTime(new Date(iso), language) };
  return lastAt.text;
};

/** Why money came back, as a consumer would put it. Reasons not listed get no clause. */
const REFUND_REASONS: Record<string, Record<Language, string>> = {
  pledge_cancelled: { 'zh-CN': '您取消了认购', en: 'you cancelled your pledge' },
  campaign_failed: { 'zh-CN': '未成团', en: 'the campaign did not reach its target' },
  campaign_cancelled: { 'zh-CN': '活动已取消', en: 'the campaign was cancelled' },
  variant_not_produced: { 'zh-CN': '所选款式不生产', en: 'your variant is not being made' },
  late_payment: { 'zh-CN': '付款晚于订单失效', en: 'the payment arrived after the order had lapsed' },
  unexpected_payment: { 'zh-CN': '多收的款项', en: 'money we did not ask for' },
  deposit_compensation: { 'zh-CN': '定金双倍返还', en: 'deposit compensation' },
  after_sale: { 'zh-CN': '售后退款', en: 'an after-sale refund' },
};

const TEMPLATES: Templates = {
  deposit_received: {
    'zh-CN': (d) => `已收到「${d.title}」的定金 ¥${d.amount}。`,
    en: (d) => `Deposit of ¥${d.amount} received for "${d.title}".`,
  },
  campaign_succeeded: {
    'zh-CN': (d) =>
      `「${d.title}」已成团，成交价每件 ¥${d.unitPrice}。${parseMoney(d.balance).isZero() ? '定金已抵全款，无需再付尾款。' : `请在 ${at(d.dueAt, 'zh-CN')} 前支付尾款 ¥${d.balance}。`}`,
    en: (d) =>
      `"${d.title}" succeeded at ¥${d.unitPrice} a unit. ${parseMoney(d.balance).isZero() ? 'Your deposit covers it all.' : `Pay the balance of ¥${d.balance} before ${at(d.dueAt, 'en')}.`}`,
  },
  campaign_failed: {
    'zh-CN': (d) => `「${d.title}」未达到 ${d.threshold} 件，未能成团。定金 ¥${d.deposit} 全额退还。`,
    en: (d) => `"${d.title}" did not reach ${d.threshold} units. Your deposit of ¥${d.deposit} is refunded.`,
  },
  campaign_cancelled: {
    'zh-CN': (d) =>
      d.compensation === undefined
        ? `「${d.title}」已取消，您支付的款项全部退还。`
        : `定金双倍返还：「${d.title}」在成团后被取消。您支付的款项全部退还，并另付您定金 ¥${d.compensation} 作为赔偿（《民法典》第587条）。`,
    en: (d) =>
      d.compensation === undefined
        ? `"${d.title}" was cancelled. Everything you paid is refunded.`
        : `定金双倍返还: "${d.title}" was cancelled after it succeeded. Everything you paid is refunded, and your deposit of ¥${d.compensation} is paid to you once more as compensation (Civil Code art. 587).`,
  },
  variant_not_produced: {
    'zh-CN': (d) => `「${d.title}」的 ${d.variant.zh} 选择人数不足，不予生产。定金 ¥${d.deposit} 全额退还。`,
    en: (d) => `Too few people chose ${d.variant.en} of "${d.title}" for it to be made. Your deposit of ¥${d.deposit} is refunded.`,
  },
  balance_reminder: {
    'zh-CN': (d) => `提醒：请在 ${at(d.dueAt, 'zh-CN')} 前支付「${d.title}」的尾款 ¥${d.balance}，逾期定金不退。`,
    en: (d) => `Reminder: pay the balance of ¥${d.balance} for "${d.title}" before ${at(d.dueAt, 'en')}, or the deposit is forfeited.`,
  },
  balance_received: {
    'zh-CN': (d) => `已收到「${d.title}」的尾款 ¥${d.amount}，预计 ${d.shipDate} 发货。`,
    en: (d) => `Balance of ¥${d.amount} received for "${d.title}". Expected to ship ${d.shipDate}.`,
  },
  refund_sent: {
    'zh-CN': (d) => `¥${d.amount} 已退还给您${REFUND_REASONS[d.reason] ? `（${REFUND_REASONS[d.reason]['zh-CN']}）` : ''}。`,
    en: (d) => `¥${d.amount} has been refunded to you${REFUND_REASONS[d.reason] ? ` (${REFUND_REASONS[d.reason].en})` : ''}.`,
  },
  deposit_forfeited: {
    'zh-CN': (d) => `「${d.title}」的尾款未在 ${at(d.dueAt, 'zh-CN')} 前支付，定金 ¥${d.deposit} 按约定归工厂所有。`,
    en: (d) => `The balance for "${d.title}" was not paid by ${at(d.dueAt, 'en')}; the deposit of ¥${d.deposit} goes to the factory as agreed.`,
  },
  after_sale_refunded: {
    'zh-CN': (d) => `「${d.title}」已办理售后退款（${d.reason}），您支付的 ¥${d.amount} 将全额退还。`,
    en: (d) => `"${d.title}" is refunded after sale (${d.reason}): the ¥${d.amount} you paid is coming back to you in full.`,
  },
  pledge_expired: {
    'zh-CN': (d) => `您对「${d.title}」的认购已失效：定金未按时支付。`,
    en: (d) => `Your pledge for "${d.title}" expired: the deposit was not paid in time.`,
  },
  box_charged: {
    'zh-CN': (d) => `您 ${d.deliveryDate} 送达的水果箱已扣款 ¥${d.amount}，将于 ${d.shipDate} 发货。`,
    en: (d) => `¥${d.amount} charged for your fruit box of ${d.deliveryDate}; it ships on ${d.shipDate}.`,
  },
  box_charge_failed: {
    'zh-CN': (d) => `您 ${d.deliveryDate} 的水果箱扣款未成功，我们将在 ${at(d.retryAt, 'zh-CN')} 再试一次。`,
    en: (d) => `The charge for your fruit box of ${d.deliveryDate} did not go through; we will try again at ${at(d.retryAt, 'en')}.`,
  },
  box_cancelled: {
    'zh-CN': (d) => `您 ${d.deliveryDate} 的水果箱已取消：${d.attempts} 次扣款均未成功。之后的水果箱不受影响。`,
    en: (d) => `Your fruit box of ${d.deliveryDate} is cancelled: we could not charge it after ${d.attempts} tries. Your next boxes are not affected.`,
  },
  box_compensated: {
    'zh-CN': (d) => `慢就赔：您 ${d.deliveryDate} 的水果箱未按时发货，¥${d.credit} 已计入您的账户。`,
    en: (d) => `慢就赔 (on-time guarantee): your fruit box of ${d.deliveryDate} did not ship on time. ¥${d.credit} is credited to your account.`,
  },
  statement_ready: {
    'zh-CN': (d) => {
      const of = d.week === undefined ? `「${d.title}」` : `${d.week} 周水果箱`;
      return d.net.startsWith('-')
        ? `${of}的结算单已生成，您需向平台退还 ¥${d.net.slice(1)}（退款与定金赔偿），将从之后的结算款中扣除。`
        : `${of}的结算单已生成，应付金额 ¥${d.net}。`;
    },
    en: (d) => {
      const of = d.week === undefined ? `"${d.title}"` : `the fruit boxes of ${d.week}`;
      return d.net.startsWith('-')
        ? `The settlement statement for ${of} is ready: you owe ¥${d.net.slice(1)} (refunds and deposit compensation), deducted from your next payouts.`
        : `The settlement statement for ${of} is ready: ¥${d.net} payable to you.`;
    },
  },
  payout_sent: {
    'zh-CN': (d) => `¥${d.amount} 的结算款已发出，到账后通知您。`,
    en: (d) => `A payout of ¥${d.amount} has been sent; we will tell you when it arrives.`,
  },
  payout_confirmed: {
    'zh-CN': (d) => `¥${d.amount} 的结算款已到账。`,
    en: (d) => `Your payout of ¥${d.amount} has been paid.`,
  },
  commission_held: {
    'zh-CN': (d) =>
      `店主「${d.shop}」（${d.code}）在「${d.title}」的佣金 ¥${d.amount} 已暂扣待审核：该活动已完成的 ${d.totalUnits} 件中有 ${d.shopUnits} 件来自其客户。请在佣金暂扣中放行或作废。`,
    en: (d) =>
      `Shop owner "${d.shop}" (${d.code}): commission of ¥${d.amount} on "${d.title}" is held for review: ${d.shopUnits} of the campaign's ${d.totalUnits} completed units came from their customers. Release or void it under commission holds.`,
  },
  statement_differences: {
    'zh-CN': (d) =>
      `对账：${d.provider} ${d.day} 的账单与我们的记录有 ${d.differences} 处不一致${d.refunded > 0 ? `，其中 ${d.refunded} 笔非本平台订单的收款已自动退回` : ''}，请在对账差异中查看。`,
    en: (d) =>
      `Reconciliation: ${d.provider}'s statement of ${d.day} differs from our records in ${d.differences} place${d.differences === 1 ? '' : 's'}${d.refunded > 0 ? `; ${d.refunded} payment${d.refunded === 1 ? '' : 's'} we did not ask for ${d.refunded === 1 ? 'was' : 'were'} refunded automatically` : ''}. See the statement differences.`,
  },
};

/** The sentence for a kind and its facts in a language; undefined when the facts are not all there (a row from before templates). */
export function renderNotification(kind: string, data: unknown, language: Language): string | undefined {
  if (!Object.hasOwn(NOTIFICATION_DATA, kind)) return undefined;
  const k = kind as NotificationKind;
  const parsed = NOTIFICATION_DATA[k].safeParse(data);
  if (!parsed.success) return undefined;
  return (TEMPLATES[k][language] as (d: NotificationData) => string)(parsed.data);
}
