import { describe, expect, test } from 'vitest';
import { bodyOf, depositsPaid, editOf, emptyForm, moneyOf, percentOf, rateOf, timeLeftParts } from './form';

describe('the editor writes what the API reads', () => {
  test('yuan as typed become amounts with two decimals, never through a float', () => {
    expect(moneyOf('699')).toBe('699.00');
    expect(moneyOf(' 699.5 ')).toBe('699.50');
    expect(moneyOf('¥1,299.99')).toBe('1299.99');
    expect(moneyOf('abc')).toBe('abc');
  });

  test('a deposit percentage and the API rate are the same decimal shifted two places', () => {
    expect(rateOf('10')).toBe('0.1');
    expect(rateOf('12.5')).toBe('0.125');
    expect(rateOf('5')).toBe('0.05');
    expect(rateOf('100')).toBe('1');
    expect(rateOf('0.01')).toBe('0.0001');
    expect(percentOf('0.10')).toBe('10');
    expect(percentOf('0.125')).toBe('12.5');
    expect(percentOf('1')).toBe('100');
    expect(percentOf('0.0001')).toBe('0.01');
    for (const p of ['10', '12.5', '5', '20', '0.01']) expect(percentOf(rateOf(p))).toBe(p);
  });

  test('the body: China time, labels only where given, optional fields left out; an edit clears them', () => {
    const form = {
      ...emptyForm(new Date('2026-07-01T02:00:00Z')),
      factoryId: 'f1',
      title: ' 羽绒服 ',
      productName: '羽绒服',
      options: [{ name: 'colour', zh: '颜色', en: '', values: [{ key: 'black', zh: '黑色' }, { key: 'navy', zh: '' }] }],
      referencePrice: '1000',
      tiers: [{ minUnits: '10', unitPrice: '900' }],
      opensAt: '2026-07-01T10:00',
      closesAt: '2026-07-08T20:00',
      maxUnits: '500',
    };
    const body = bodyOf(form);
    expect(body).toMatchObject({
      title: '羽绒服',
      options: [{ name: 'colour', label: { zh: '颜色' }, values: ['black', 'navy'], valueLabels: { black: { zh: '黑色' } } }],
      referencePrice: '1000.00',
      depositRate: '0.1',
      depositCreditRate: '1',
      tiers: [{ minUnits: 10, unitPrice: '900.00' }],
      maxUnits: 500,
      opensAt: '2026-07-01T10:00:00+08:00',
      closesAt: '2026-07-08T20:00:00+08:00',
      balanceWindowHours: 72,
    });
    expect(body).not.toHaveProperty('perConsumerLimit');
    expect(body).not.toHaveProperty('imageUrl');
    expect(editOf({ ...form, maxUnits: '' })).toMatchObject({ maxUnits: null, perConsumerLimit: null, variantMinUnits: null, imageUrl: null });
  });

  test('a new draft opens at the next hour and closes at 20:00 China time a week on', () => {
    const form = emptyForm(new Date('2026-07-01T02:10:00Z'));
    expect(form.opensAt).toBe('2026-07-01T11:00');
    expect(form.closesAt).toBe('2026-07-08T20:00');
  });
});

test('deposits paid: units × the deposit, exact in fen', () => {
  expect(depositsPaid(3, '99.99')).toBe('299.97');
  expect(depositsPaid(0, '100.00')).toBe('0.00');
  expect(depositsPaid(10_000_000, '0.07')).toBe('700000.00');
});

test('time left in days, hours and minutes', () => {
  expect(timeLeftParts(3 * 86_400 + 4 * 3600 + 59)).toEqual({ days: 3, hours: 4, minutes: 0 });
  expect(timeLeftParts(3599)).toEqual({ days: 0, hours: 0, minutes: 59 });
});
