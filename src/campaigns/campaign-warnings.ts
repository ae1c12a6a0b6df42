import { DateTime } from 'luxon';
import { BUSINESS_TIME_ZONE, businessDay, formatBusinessTime } from '../platform/calendar';
import { roundToFen } from '../platform/money';
import type { CampaignRow, DisplayLabel } from './campaign.entity';
import { thresholdOf, tiersOf } from './campaign';

/**
 * Terms that are legal but that surprise consumers (or the factory), each with a stable code the console
 * says in Chinese. What is not legal is refused when the campaign is created or edited (400): tiers out of
 * order or not cheaper, a cap below the threshold, a deposit above 20% of the lowest price (so a deposit
 * over half the price can never happen). docs/operator-console.md § Campaigns says why each one is here.
 */
export const WARNING_CODES = [
  'deposit_credit_covers_price',
  'threshold_price_not_discounted',
  'tier_above_cap',
  'deadline_within_24h',
  'closes_at_night',
  'balance_window_short',
  'ship_date_before_balance_due',
  'variant_minimum_above_threshold',
  'variant_minimums_exceed_cap',
  'label_missing_zh',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface CampaignWarning {
  code: WarningCode;
  /** The field of the campaign's terms it is about, as the create body names it ("tiers.1.minUnits", "closesAt"). */
  field: string;
  /** The figures the console puts into its sentence (unit counts, amounts as money strings, times in China time). */
  params: Record<string, string | number>;
  /** The same in words, Chinese then English, for API clients without a translation of their own. */
  message: string;
}

/** The terms the warnings look at: a campaign's row, or what a create body would make of it. */
export type WarnedTerms = Pick<
  CampaignRow,
  | 'referencePrice'
  | 'depositPerUnit'
  | 'depositCreditRate'
  | 'tiers'
  | 'maxUnits'
  | 'variantMinUnits'
  | 'options'
  | 'opensAt'
  | 'closesAt'
  | 'balanceWindowHours'
  | 'expectedShipDate'
>;

const HOUR = 3600_000;
/** Less than this between the window's opening (or now) and its close: too short for word of it to travel. */
export const SHORT_WINDOW_HOURS = 24;
/** Less than a day to pay the balance: Tmall's balance windows are 1–3 days (docs/domain.md). */
export const SHORT_BALANCE_HOURS = 24;
/** A close at 00:00–06:59 China time: the last hours of the window pass while consumers sleep. */
const NIGHT_ENDS_AT_HOUR = 7;
/** A key written in Chinese characters needs no Chinese label, nor a size or a number (M, XL, 42, 180/96A). */
const READS_AS_IS = /\p{Script=Han}|^[0-9A-Z][0-9A-Z./+-]{0,7}$/u;

const yuan = (amount: { toFixed(digits: number): string }) => amount.toFixed(2);
const chinaHour = (at: Date) => DateTime.fromJSDate(at, { zone: BUSINESS_TIME_ZONE }).hour;

/**
 * The warnings for a campaign's terms at `now` (the deadline one depends on it), in a fixed order.
 * One function for the create, edit, publish and preview answers and the operator's read of a draft.
 */
export function campaignWarnings(terms: WarnedTerms, now: Date): CampaignWarning[] {
  const warnings: CampaignWarning[] = [];
  const warn = (code: WarningCode, field: string, params: Record<string, string | number>, zh: string, en: string) =>
    warnings.push({ code, field, params, message: `${zh} ${en}` });
  const tiers = tiersOf(terms);
  const threshold = thresholdOf(terms);

  const credit = roundToFen(terms.depositPerUnit.times(terms.depositCreditRate));
  const coveredIndex = tiers.findIndex((t) => !credit.lessThan(t.unitPrice));
  if (coveredIndex >= 0) {
    const from = tiers[coveredIndex];
    warn(
      'deposit_credit_covers_price',
      'depositCreditRate',
      { credit: yuan(credit), minUnits: from.minUnits, unitPrice: yuan(from.unitPrice) },
      `定金膨胀后每件抵 ¥${yuan(credit)}，不低于 ${from.minUnits} 件档的单价 ¥${yuan(from.unitPrice)}：达到该档时消费者只付定金、没有尾款。`,
      `The credited deposit (¥${yuan(credit)} a unit) covers the whole unit price from the ${from.minUnits}-unit tier on (¥${yuan(from.unitPrice)}): there, consumers pay the deposit and nothing more.`,
    );
  }

  if (!tiers[0].unitPrice.lessThan(terms.referencePrice))
    warn(
      'threshold_price_not_discounted',
      'tiers.0.unitPrice',
      { unitPrice: yuan(tiers[0].unitPrice), referencePrice: yuan(terms.referencePrice) },
      `成团价 ¥${yuan(tiers[0].unitPrice)} 等于参考价：刚成团时参团没有任何优惠。`,
      `The price at the threshold (¥${yuan(tiers[0].unitPrice)}) is the reference price: joining saves nothing until a later tier.`,
    );

  if (terms.maxUnits !== null) {
    const index = tiers.findIndex((t) => t.minUnits > terms.maxUnits!);
    if (index >= 0)
      warn(
        'tier_above_cap',
        `tiers.${index}.minUnits`,
        { minUnits: tiers[index].minUnits, maxUnits: terms.maxUnits },
        `${tiers[index].minUnits} 件档高于限量 ${terms.maxUnits} 件，永远达不到，消费者却能看到这个价格。`,
        `The ${tiers[index].minUnits}-unit tier is above the cap of ${terms.maxUnits} units: it can never be reached, yet consumers see its price.`,
      );
  }

  const from = terms.opensAt > now ? terms.opensAt : now;
  const windowHours = (terms.closesAt.getTime() - from.getTime()) / HOUR;
  if (windowHours < SHORT_WINDOW_HOURS)
    warn(
      'deadline_within_24h',
      'closesAt',
      { hours: Math.max(0, Math.floor(windowHours)), closesAt: terms.closesAt.toISOString() },
      `认购将在 ${formatBusinessTime(terms.closesAt)} 截止，开放不到 ${SHORT_WINDOW_HOURS} 小时：消息来不及传开。`,
      `Pledges close at ${formatBusinessTime(terms.closesAt, 'en')}, less than ${SHORT_WINDOW_HOURS} hours after they open: too short for word to travel.`,
    );

  if (chinaHour(terms.closesAt) < NIGHT_ENDS_AT_HOUR)
    warn(
      'closes_at_night',
      'closesAt',
      { closesAt: terms.closesAt.toISOString() },
      `认购在深夜截止（${formatBusinessTime(terms.closesAt)}）：最后几个小时消费者都在睡觉。`,
      `Pledges close at night (${formatBusinessTime(terms.closesAt, 'en')}): consumers sleep through the last hours.`,
    );

  if (terms.balanceWindowHours < SHORT_BALANCE_HOURS)
    warn(
      'balance_window_short',
      'balanceWindowHours',
      { hours: terms.balanceWindowHours },
      `成团后只有 ${terms.balanceWindowHours} 小时付尾款：错过的消费者定金不退。`,
      `Consumers have ${terms.balanceWindowHours} hours to pay the balance after success; whoever misses it forfeits the deposit.`,
    );

  // The decision comes at the close at the earliest, so the balance is due no sooner than this.
  const balanceDueDay = businessDay(new Date(terms.closesAt.getTime() + terms.balanceWindowHours * HOUR));
  if (terms.expectedShipDate < balanceDueDay)
    warn(
      'ship_date_before_balance_due',
      'expectedShipDate',
      { expectedShipDate: terms.expectedShipDate, balanceDueDay },
      `预计发货日 ${terms.expectedShipDate} 早于尾款截止日 ${balanceDueDay}：工厂要在知道谁付了尾款之前发货。`,
      `The expected ship date (${terms.expectedShipDate}) is before the balance is due (${balanceDueDay}): the factory would ship before it knows who paid.`,
    );

  if (terms.variantMinUnits !== null) {
    if (terms.variantMinUnits > threshold)
      warn(
        'variant_minimum_above_threshold',
        'variantMinUnits',
        { variantMinUnits: terms.variantMinUnits, threshold },
        `每个规格至少 ${terms.variantMinUnits} 件才生产，高于成团门槛 ${threshold} 件：活动达到门槛也可能因为规格不够而全部退款。`,
        `Each variant needs ${terms.variantMinUnits} units to be made, more than the threshold of ${threshold}: a campaign can reach its threshold and still refund everyone.`,
      );
    const variants = terms.options.reduce((count, o) => count * o.values.length, 1);
    if (terms.maxUnits !== null && terms.variantMinUnits * variants > terms.maxUnits)
      warn(
        'variant_minimums_exceed_cap',
        'variantMinUnits',
        { variantMinUnits: terms.variantMinUnits, variants, maxUnits: terms.maxUnits },
        `${variants} 个规格各需 ${terms.variantMinUnits} 件，合计超过限量 ${terms.maxUnits} 件：不是每个规格都能生产，选了它们的消费者会被退款。`,
        `${variants} variants of ${terms.variantMinUnits} units each exceed the cap of ${terms.maxUnits}: not every variant can be made, and their pledgers are refunded.`,
      );
  }

  const hasZh = (key: string, label: DisplayLabel | undefined) => label?.zh !== undefined || READS_AS_IS.test(key);
  // An option's name is always a lower-case key ("colour"): it needs its Chinese label.
  const unlabelled = terms.options.flatMap((o, i) =>
    [
      ...(hasZh(o.name, o.label) ? [] : [o.name]),
      ...o.values.filter((v) => !hasZh(v, o.valueLabels && Object.hasOwn(o.valueLabels, v) ? o.valueLabels[v] : undefined)),
    ].map((key) => ({ i, key })),
  );
  if (unlabelled.length > 0)
    warn(
      'label_missing_zh',
      `options.${unlabelled[0].i}`,
      { keys: unlabelled.map((u) => u.key).join('、') },
      `这些选项没有中文名称，消费者会看到原文：${unlabelled.map((u) => u.key).join('、')}。`,
      `These options have no Chinese label, so consumers see the key itself: ${unlabelled.map((u) => u.key).join(', ')}.`,
    );

  return warnings;
}
