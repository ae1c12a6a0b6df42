import { describe, expect, test } from 'vitest';
import type { Campaign, CampaignForecast, LiveForecast } from '../api/types';
import { dailyPledges, overviewCampaigns } from './overview';

const now = new Date('2026-11-30T04:00:00Z');
const campaign = (id: string, status: Campaign['status'], opensAt: string, closesAt: string): Campaign => ({
  id, factoryId: 'f', title: id, productName: 'jacket', description: '', imageUrl: null,
  options: [{ name: 'size', values: ['M'], label: { zh: '尺码', en: 'Size' }, valueLabels: { M: { zh: 'M', en: 'M' } } }], referencePrice: '1000.00', depositRate: '0.10',
  depositPerUnit: '100.00', depositCreditRate: '1', tiers: [{ minUnits: 500, unitPrice: '900.00' }], maxUnits: null, perConsumerLimit: null, variantMinUnits: null,
  opensAt, closesAt, balanceWindowHours: 48, expectedShipDate: '2027-01-29', status, finalUnitPrice: null, balanceDueAt: null, droppedVariants: [],
  progress: { paidUnits: 0, reservedUnits: 0, pledgers: 0, currentTier: null, nextTier: null, thresholdReached: false, remainingUnits: null, secondsLeft: 0, variants: [] },
});
const forecastOf = (c: Campaign, daily: CampaignForecast['daily']): CampaignForecast => ({
  kind: 'campaign', sourceKey: c.id, campaignId: c.id, title: c.title, productName: c.productName, status: c.status, closesAt: c.closesAt, expectedShipDate: c.expectedShipDate, shipWeek: '2027-W04', variants: [], daily,
  totals: { firmUnits: 0, expectedUnits: 0, lowUnits: 0, highUnits: 0, paidUnits: 0, awaitingDepositUnits: 0, awaitingBalanceUnits: 0, paidBalanceUnits: 0 },
});
const live = (campaigns: CampaignForecast[]): LiveForecast => ({
  generatedAt: now.toISOString(), balanceConversion: { rate: 1, source: 'default' }, campaigns, supplies: [], weeks: [],
});

describe('overview campaigns', () => {
  const open = campaign('open', 'open', '2026-11-29T04:00:00Z', '2026-12-14T04:00:00Z');
  const soon = campaign('soon', 'open', '2026-11-20T04:00:00Z', '2026-12-01T04:00:00Z');
  const failedRecently = campaign('failed-recently', 'failed', '2026-10-20T04:00:00Z', '2026-11-10T04:00:00Z');
  const failedLongAgo = campaign('failed-long-ago', 'failed', '2026-08-01T04:00:00Z', '2026-09-01T04:00:00Z');
  const succeededLongAgo = campaign('succeeded-long-ago', 'succeeded', '2026-08-01T04:00:00Z', '2026-09-01T04:00:00Z');

  test('open ones by nearest deadline, then closed ones the factory still makes or that closed in the last 30 days', () => {
    const shown = overviewCampaigns([failedLongAgo, open, failedRecently, succeededLongAgo, soon], live([forecastOf(open, []), forecastOf(soon, []), forecastOf(succeededLongAgo, [])]), now);
    expect(shown.map((s) => s.campaign.id)).toEqual(['soon', 'open', 'failed-recently', 'succeeded-long-ago']);
    expect(shown.find((s) => s.campaign.id === 'failed-recently')?.forecast).toBeUndefined();
  });

  test('daily pledges are summed over campaigns, quiet days zero, from the first opening to today (Shanghai)', () => {
    const shown = overviewCampaigns([open, soon], live([
      forecastOf(open, [{ day: '2026-11-30', pledgedUnits: 14, pledges: 7, depositPaidUnits: 12 }]),
      forecastOf(soon, [{ day: '2026-11-28', pledgedUnits: 3, pledges: 1, depositPaidUnits: 3 }, { day: '2026-11-30', pledgedUnits: 1, pledges: 1, depositPaidUnits: 1 }]),
    ]), now);
    const series = dailyPledges(shown, now);
    expect(series[0]).toEqual({ day: '2026-11-20', pledgedUnits: 0, depositPaidUnits: 0 });
    expect(series.at(-1)).toEqual({ day: '2026-11-30', pledgedUnits: 15, depositPaidUnits: 13 });
    expect(series.find((p) => p.day === '2026-11-28')).toEqual({ day: '2026-11-28', pledgedUnits: 3, depositPaidUnits: 3 });
    expect(series).toHaveLength(11);
  });

  test('once every campaign has closed, the series ends at the last deadline; with no campaign it is empty', () => {
    const closed = campaign('closed', 'succeeded', '2026-11-01T04:00:00Z', '2026-11-05T04:00:00Z');
    const series = dailyPledges(overviewCampaigns([closed], live([forecastOf(closed, [])]), now), now);
    expect(series.map((p) => p.day)).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05']);
    expect(dailyPledges([], now)).toEqual([]);
  });
});
