import { describe, expect, test } from 'vitest';
import { daysBetween, daysLeft, formatChange, formatDateTime, formatMoney, formatNumber, formatPercent, formatRatio, formatWeek, isoWeekDays, shanghaiDay } from './format';

describe('money', () => {
  test('is yuan with two decimals and thousands separators', () => {
    expect(formatMoney('1000.00')).toBe('¥1,000.00');
    expect(formatMoney('900.50')).toBe('¥900.50');
    expect(formatMoney('0.05')).toBe('¥0.05');
    expect(formatMoney('1234567.89')).toBe('¥1,234,567.89');
    expect(formatMoney('-12.30')).toBe('-¥12.30');
  });

  test('keeps every digit of amounts a JavaScript number would round', () => {
    expect(formatMoney('12345678901234567.89')).toBe('¥12,345,678,901,234,567.89');
  });

  test('refuses what is not an amount from the API', () => {
    expect(() => formatMoney('12.3')).toThrow('not an amount');
    expect(() => formatMoney('abc')).toThrow('not an amount');
  });
});

describe('numbers', () => {
  test('have thousands separators in both languages', () => {
    expect(formatNumber(1234567, 'zh')).toBe('1,234,567');
    expect(formatNumber(1234567, 'en')).toBe('1,234,567');
    expect(formatNumber(0, 'zh')).toBe('0');
  });

  test('changes carry their sign, and no sign when nothing changed', () => {
    expect(formatChange(1200, 'zh')).toBe('+1,200');
    expect(formatChange(-3, 'en')).toBe('-3');
    expect(formatChange(0, 'zh')).toBe('0');
  });

  test('percentages keep one decimal; none is a dash', () => {
    expect(formatPercent(12.5, 'zh')).toBe('12.5%');
    expect(formatPercent(-4, 'en')).toBe('-4%');
    expect(formatPercent(null, 'zh')).toBe('—');
  });

  test('ratios keep two to three decimals; none is a dash', () => {
    expect(formatRatio(1, 'zh')).toBe('1.00');
    expect(formatRatio(1.019, 'en')).toBe('1.019');
    expect(formatRatio(null, 'zh')).toBe('—');
  });
});

describe('dates in Asia/Shanghai', () => {
  test('an instant is shown as Shanghai wall-clock time, whatever the browser zone', () => {
    expect(formatDateTime('2026-11-30T04:40:51.185Z')).toBe('2026-11-30 12:40');
    // 20:30 UTC is already the next morning in Shanghai.
    expect(formatDateTime('2026-12-31T20:30:00Z')).toBe('2027-01-01 04:30');
    expect(shanghaiDay(new Date('2026-12-31T20:30:00Z'))).toBe('2027-01-01');
    expect(shanghaiDay(new Date('2026-12-31T15:59:59Z'))).toBe('2026-12-31');
  });

  test('days left round up and stop at zero', () => {
    const now = new Date('2026-11-30T04:00:00Z');
    expect(daysLeft('2026-12-14T04:00:00Z', now)).toBe(14);
    expect(daysLeft('2026-11-30T07:00:00Z', now)).toBe(1);
    expect(daysLeft('2026-11-29T04:00:00Z', now)).toBe(0);
  });

  test('a week is written with its dates, the second month only when the week runs into it', () => {
    expect(formatWeek('2027-W05', 'zh')).toBe('2027-W05 · 2月1日–7日');
    expect(formatWeek('2027-W04', 'zh')).toBe('2027-W04 · 1月25日–31日');
    expect(formatWeek('2026-W53', 'zh')).toBe('2026-W53 · 12月28日–1月3日');
    expect(formatWeek('2027-W04', 'en')).toBe('2027-W04 · Jan 25–31');
    expect(formatWeek('2026-W53', 'en')).toBe('2026-W53 · Dec 28–Jan 3');
  });

  test('an ISO week runs Monday to Sunday, week 1 holding the first Thursday', () => {
    expect(isoWeekDays('2027-W04')).toEqual({ monday: '2027-01-25', sunday: '2027-01-31' });
    expect(isoWeekDays('2026-W53')).toEqual({ monday: '2026-12-28', sunday: '2027-01-03' });
    expect(isoWeekDays('2026-W01')).toEqual({ monday: '2025-12-29', sunday: '2026-01-04' });
  });

  test('a day range includes both ends', () => {
    expect(daysBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(daysBetween('2026-12-30', '2026-12-30')).toEqual(['2026-12-30']);
  });
});
