import { campaignWarnings, type WarnedTerms } from '../../src/campaigns/campaign-warnings';
import { parseMoney } from '../../src/platform/money';

/** Legal terms that surprise consumers, one code each; terms without a surprise have no warning. */
const now = new Date('2026-07-01T02:00:00Z'); // 10:00 in China
const HOUR = 3600_000;
// ¥1,000 reference, ¥100 deposit; ¥900 from 500 units, ¥700 from 1,000; closes 2026-07-10 12:00 China time; balance in 72 hours.
const plain = (): WarnedTerms => ({
  referencePrice: parseMoney('1000.00'),
  depositPerUnit: parseMoney('100.00'),
  depositCreditRate: '1',
  tiers: [
    { minUnits: 500, unitPriceFen: '90000' },
    { minUnits: 1000, unitPriceFen: '70000' },
  ],
  maxUnits: null,
  variantMinUnits: null,
  options: [
    { name: 'colour', label: { zh: '颜色' }, values: ['black', '藏青'], valueLabels: { black: { zh: '黑色' } } },
    { name: 'size', label: { zh: '尺码' }, values: ['M', 'XL', '180/96A'] },
  ],
  opensAt: now,
  closesAt: new Date('2026-07-10T04:00:00Z'),
  balanceWindowHours: 72,
  expectedShipDate: '2026-08-01',
});
const codes = (terms: WarnedTerms, at = now) => campaignWarnings(terms, at).map((w) => w.code);

test('plain terms have no warning', () => {
  expect(campaignWarnings(plain(), now)).toEqual([]);
});

test('deposit_credit_covers_price: from the tier whose price the credited deposit reaches, consumers pay only the deposit', () => {
  // ¥100 × 7 = ¥700: the whole price at the 1,000-unit tier, not at the 500-unit one.
  const [warning] = campaignWarnings({ ...plain(), depositCreditRate: '7' }, now);
  expect(warning).toEqual({
    code: 'deposit_credit_covers_price',
    field: 'depositCreditRate',
    params: { credit: '700.00', minUnits: 1000, unitPrice: '700.00' },
    message: expect.stringContaining('只付定金'),
  });
  expect(codes({ ...plain(), depositCreditRate: '6.99' })).toEqual([]);
});

test('threshold_price_not_discounted: the first tier at the reference price saves consumers nothing at the threshold', () => {
  const terms = { ...plain(), tiers: [{ minUnits: 500, unitPriceFen: '100000' }, ...plain().tiers.slice(1)] };
  expect(campaignWarnings(terms, now)).toEqual([expect.objectContaining({ code: 'threshold_price_not_discounted', field: 'tiers.0.unitPrice' })]);
});

test('tier_above_cap: a tier above the cap is shown but can never be reached', () => {
  expect(campaignWarnings({ ...plain(), maxUnits: 999 }, now)).toEqual([
    expect.objectContaining({ code: 'tier_above_cap', field: 'tiers.1.minUnits', params: { minUnits: 1000, maxUnits: 999 } }),
  ]);
  expect(codes({ ...plain(), maxUnits: 1000 })).toEqual([]);
});

test('deadline_within_24h: counted from the opening, or from now once it has opened', () => {
  const closesAt = new Date(now.getTime() + 23 * HOUR); // 09:00 China time the next day
  expect(codes({ ...plain(), closesAt })).toEqual(['deadline_within_24h']);
  expect(codes({ ...plain(), closesAt: new Date(now.getTime() + 24 * HOUR) })).toEqual([]);
  // Opening later: 24 hours from the opening is enough, whenever now is.
  const opensAt = new Date(now.getTime() + 5 * 86_400_000);
  expect(codes({ ...plain(), opensAt, closesAt: new Date(opensAt.getTime() + 12 * HOUR) })).toEqual(['deadline_within_24h']);
  expect(codes({ ...plain(), opensAt, closesAt: new Date(opensAt.getTime() + 26 * HOUR) })).toEqual([]);
  // Opened long ago, closing in 3 hours: the window left is short.
  expect(codes(plain(), new Date(plain().closesAt.getTime() - 3 * HOUR))).toEqual(['deadline_within_24h']);
});

test('closes_at_night: a close from 00:00 to 06:59 China time', () => {
  expect(codes({ ...plain(), closesAt: new Date('2026-07-09T16:00:00Z') })).toEqual(['closes_at_night']); // 00:00
  expect(codes({ ...plain(), closesAt: new Date('2026-07-09T22:59:00Z') })).toEqual(['closes_at_night']); // 06:59
  expect(codes({ ...plain(), closesAt: new Date('2026-07-09T23:00:00Z') })).toEqual([]); // 07:00
  expect(codes({ ...plain(), closesAt: new Date('2026-07-09T15:59:00Z') })).toEqual([]); // 23:59
});

test('balance_window_short: under 24 hours to pay the balance', () => {
  expect(codes({ ...plain(), balanceWindowHours: 23 })).toEqual(['balance_window_short']);
  expect(codes({ ...plain(), balanceWindowHours: 24 })).toEqual([]);
});

test('ship_date_before_balance_due: shipping before the balance is due, on the China calendar', () => {
  // Closes 07-10 12:00, 72 hours later is 07-13 12:00 China time.
  expect(campaignWarnings({ ...plain(), expectedShipDate: '2026-07-12' }, now)).toEqual([
    expect.objectContaining({ code: 'ship_date_before_balance_due', params: { expectedShipDate: '2026-07-12', balanceDueDay: '2026-07-13' } }),
  ]);
  expect(codes({ ...plain(), expectedShipDate: '2026-07-13' })).toEqual([]);
});

test('variant minimums: above the threshold, or more than the cap holds for every variant', () => {
  expect(codes({ ...plain(), variantMinUnits: 501 })).toEqual(['variant_minimum_above_threshold']);
  expect(codes({ ...plain(), variantMinUnits: 500 })).toEqual([]);
  // 2 colours × 3 sizes = 6 variants of 200 = 1,200 > a cap of 1,199.
  expect(codes({ ...plain(), variantMinUnits: 200, maxUnits: 1199 })).toEqual(['variant_minimums_exceed_cap']);
  expect(codes({ ...plain(), variantMinUnits: 200, maxUnits: 1200 })).toEqual([]);
});

test('label_missing_zh: an option or a value consumers would read as an English key', () => {
  const options = [
    { name: 'colour', values: ['black', 'navy'], valueLabels: { black: { zh: '黑色' }, navy: { en: 'Navy' } } },
    { name: 'size', label: { zh: '尺码' }, values: ['M', 'slim'] },
  ];
  expect(campaignWarnings({ ...plain(), options }, now)).toEqual([
    expect.objectContaining({ code: 'label_missing_zh', field: 'options.0', params: { keys: 'colour、navy、slim' } }),
  ]);
});

test('several at once, in a fixed order', () => {
  expect(codes({ ...plain(), depositCreditRate: '9', balanceWindowHours: 12, closesAt: new Date('2026-07-09T17:00:00Z') })).toEqual([
    'deposit_credit_covers_price',
    'closes_at_night',
    'balance_window_short',
  ]);
});
