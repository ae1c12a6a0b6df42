import { formatDateTime } from '../../lib/format';
import type { CampaignEdit, CampaignInput, OperatorCampaign } from './queries';

/**
 * The draft editor's form as the operator types it (every field text, as inputs hold it) and the API's bodies
 * made from it. Amounts stay text end to end: "699" is sent as "699.00", never through a JavaScript number.
 */
export interface CampaignForm {
  factoryId: string;
  title: string;
  productName: string;
  description: string;
  imageUrl: string;
  options: { name: string; zh: string; en: string; values: { key: string; zh: string }[] }[];
  referencePrice: string;
  /** The deposit rate as a percentage ("10" is 0.10). */
  depositPercent: string;
  depositCreditRate: string;
  tiers: { minUnits: string; unitPrice: string }[];
  maxUnits: string;
  perConsumerLimit: string;
  variantMinUnits: string;
  /** China wall-clock time, as a datetime-local input holds it: 2026-12-01T20:00. */
  opensAt: string;
  closesAt: string;
  balanceWindowHours: string;
  expectedShipDate: string;
}

const DAY_MS = 86_400_000;

/** China wall-clock time (YYYY-MM-DDTHH:mm) of an instant. */
export function chinaLocal(instant: Date): string {
  return formatDateTime(instant.toISOString()).replace(' ', 'T');
}

/** A new draft's form: a week from today's next hour to 20:00 a week on, the balance in 72 hours, shipping a month after. */
export function emptyForm(now: Date): CampaignForm {
  const opens = new Date(Math.ceil(now.getTime() / 3600_000) * 3600_000);
  const closeDay = chinaLocal(new Date(now.getTime() + 7 * DAY_MS)).slice(0, 10);
  return {
    factoryId: '',
    title: '',
    productName: '',
    description: '',
    imageUrl: '',
    options: [{ name: 'colour', zh: '颜色', en: 'Colour', values: [{ key: '', zh: '' }] }],
    referencePrice: '',
    depositPercent: '10',
    depositCreditRate: '1',
    tiers: [{ minUnits: '', unitPrice: '' }],
    maxUnits: '',
    perConsumerLimit: '',
    variantMinUnits: '',
    opensAt: chinaLocal(opens),
    closesAt: `${closeDay}T20:00`,
    balanceWindowHours: '72',
    expectedShipDate: chinaLocal(new Date(now.getTime() + 37 * DAY_MS)).slice(0, 10),
  };
}

/** A draft's form: what the API holds, as the inputs show it. */
export function formOf(c: OperatorCampaign): CampaignForm {
  return {
    factoryId: c.factoryId,
    title: c.title,
    productName: c.productName,
    description: c.description,
    imageUrl: c.imageUrl ?? '',
    options: c.options.map((o) => ({
      name: o.name,
      // The API fills a missing label with the key; the form shows only a label that was given.
      zh: o.label.zh === o.name ? '' : o.label.zh,
      en: o.label.en === o.name ? '' : o.label.en,
      values: o.values.map((v) => ({ key: v, zh: o.valueLabels[v]?.zh === v ? '' : (o.valueLabels[v]?.zh ?? '') })),
    })),
    referencePrice: c.referencePrice,
    depositPercent: percentOf(c.depositRate),
    depositCreditRate: c.depositCreditRate,
    tiers: c.tiers.map((t) => ({ minUnits: String(t.minUnits), unitPrice: t.unitPrice })),
    maxUnits: c.maxUnits === null ? '' : String(c.maxUnits),
    perConsumerLimit: c.perConsumerLimit === null ? '' : String(c.perConsumerLimit),
    variantMinUnits: c.variantMinUnits === null ? '' : String(c.variantMinUnits),
    opensAt: chinaLocal(new Date(c.opensAt)),
    closesAt: chinaLocal(new Date(c.closesAt)),
    balanceWindowHours: String(c.balanceWindowHours),
    expectedShipDate: c.expectedShipDate,
  };
}

/** "0.10" → "10", "0.125" → "12.5": decimal text shifted two places, without a float. */
export function percentOf(rate: string): string {
  const [whole, fraction = ''] = rate.split('.');
  const digits = `${whole}${fraction.padEnd(2, '0')}`;
  const [w, f] = [digits.slice(0, whole.length + 2), digits.slice(whole.length + 2)];
  const trimmed = `${String(Number(w))}${f.replace(/0+$/, '') ? `.${f.replace(/0+$/, '')}` : ''}`;
  return trimmed;
}

/** "10" → "0.1", "12.5" → "0.125": a percentage as the API's rate; text the API will refuse is sent as it is. */
export function rateOf(percent: string): string {
  const text = percent.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const [, whole, fraction = ''] = match;
  const padded = whole.padStart(3, '0');
  const rate = `${String(Number(padded.slice(0, -2)))}.${padded.slice(-2)}${fraction}`.replace(/\.?0+$/, '');
  return rate === '' ? '0' : rate;
}

/** Yuan as typed ("699", "699.5", "¥1,299") → the API's "699.00"; anything else as typed (the API says what is wrong). */
export function moneyOf(text: string): string {
  const plain = text.trim().replace(/^¥/, '').replace(/,/g, '');
  if (/^\d+$/.test(plain)) return `${plain}.00`;
  if (/^\d+\.\d$/.test(plain)) return `${plain}0`;
  return plain;
}

const count = (text: string) => (text.trim() === '' ? undefined : Number(text.trim()));
const instant = (local: string) => (local ? `${local}:00+08:00` : '');

/** The create body (also the preview's). Optional fields left empty are left out. */
export function bodyOf(form: CampaignForm): CampaignInput {
  const options = form.options.map((o) => {
    const valueLabels = Object.fromEntries(o.values.filter((v) => v.zh.trim()).map((v) => [v.key.trim(), { zh: v.zh.trim() }]));
    const label = { ...(o.zh.trim() && { zh: o.zh.trim() }), ...(o.en.trim() && { en: o.en.trim() }) };
    return {
      name: o.name.trim(),
      ...(Object.keys(label).length > 0 && { label }),
      values: o.values.map((v) => v.key.trim()),
      ...(Object.keys(valueLabels).length > 0 && { valueLabels }),
    };
  });
  return {
    factoryId: form.factoryId,
    title: form.title.trim(),
    productName: form.productName.trim(),
    description: form.description.trim(),
    ...(form.imageUrl.trim() && { imageUrl: form.imageUrl.trim() }),
    options,
    referencePrice: moneyOf(form.referencePrice),
    depositRate: rateOf(form.depositPercent),
    depositCreditRate: form.depositCreditRate.trim() || '1',
    tiers: form.tiers.map((t) => ({ minUnits: count(t.minUnits) as number, unitPrice: moneyOf(t.unitPrice) })),
    ...(count(form.maxUnits) !== undefined && { maxUnits: count(form.maxUnits) }),
    ...(count(form.perConsumerLimit) !== undefined && { perConsumerLimit: count(form.perConsumerLimit) }),
    ...(count(form.variantMinUnits) !== undefined && { variantMinUnits: count(form.variantMinUnits) }),
    opensAt: instant(form.opensAt),
    closesAt: instant(form.closesAt),
    balanceWindowHours: count(form.balanceWindowHours) as number,
    expectedShipDate: form.expectedShipDate,
  };
}

/** The whole form as an edit of a draft: every field, an optional one left empty cleared. */
export function editOf(form: CampaignForm): CampaignEdit {
  const body = bodyOf(form);
  return {
    ...body,
    imageUrl: body.imageUrl ?? null,
    maxUnits: body.maxUnits ?? null,
    perConsumerLimit: body.perConsumerLimit ?? null,
    variantMinUnits: body.variantMinUnits ?? null,
  };
}

/** Deposits paid: units × the deposit per unit, in fen with BigInt (exact), as the API writes an amount ("1200.00"). */
export function depositsPaid(paidUnits: number, depositPerUnit: string): string {
  const [yuan, fen] = depositPerUnit.split('.');
  const total = (BigInt(yuan) * 100n + BigInt(fen)) * BigInt(paidUnits);
  return `${total / 100n}.${String(total % 100n).padStart(2, '0')}`;
}

/** Seconds left as days, hours and minutes (rounded down), for "3 天 4 小时". */
export function timeLeftParts(seconds: number): { days: number; hours: number; minutes: number } {
  return { days: Math.floor(seconds / 86_400), hours: Math.floor((seconds % 86_400) / 3600), minutes: Math.floor((seconds % 3600) / 60) };
}
