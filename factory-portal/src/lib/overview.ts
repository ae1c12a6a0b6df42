import type { Campaign, CampaignForecast, DayTally, LiveForecast } from '../api/types';
import { daysBetween, shanghaiDay } from './format';

/** Closed campaigns stay on the overview this long after their deadline (succeeded ones stay while the forecast has them). */
export const RECENTLY_CLOSED_DAYS = 30;

export interface OverviewCampaign {
  campaign: Campaign;
  /** Absent for a campaign the factory will not make (failed or cancelled): it has no forecast any more. */
  forecast: CampaignForecast | undefined;
}

const isOpen = (c: Campaign) => c.status === 'open' || c.status === 'scheduled';

/**
 * The campaigns the overview shows: open ones by nearest deadline, then closed ones, latest first —
 * those the live forecast still holds (the factory produces for them) and any that closed within
 * RECENTLY_CLOSED_DAYS.
 */
export function overviewCampaigns(campaigns: readonly Campaign[], forecast: LiveForecast, now: Date): OverviewCampaign[] {
  const forecasts = new Map(forecast.campaigns.map((f) => [f.campaignId, f]));
  const recent = now.getTime() - RECENTLY_CLOSED_DAYS * 86_400_000;
  const shown = campaigns
    .filter((c) => isOpen(c) || forecasts.has(c.id) || new Date(c.closesAt).getTime() >= recent)
    .map((campaign) => ({ campaign, forecast: forecasts.get(campaign.id) }));
  const open = shown.filter((s) => isOpen(s.campaign)).sort((a, b) => a.campaign.closesAt.localeCompare(b.campaign.closesAt));
  const closed = shown.filter((s) => !isOpen(s.campaign)).sort((a, b) => b.campaign.closesAt.localeCompare(a.campaign.closesAt));
  return [...open, ...closed];
}

export interface DayPoint {
  day: string;
  pledgedUnits: number;
  depositPaidUnits: number;
}

/**
 * Pledges per day summed over campaigns, with the quiet days as zeros so the chart's time axis is
 * true: from the first pledge window's opening to today, or to the last deadline once all have closed.
 */
export function dailyPledges(shown: readonly OverviewCampaign[], now: Date): DayPoint[] {
  if (shown.length === 0) return [];
  const tallies: DayTally[] = shown.flatMap((s) => s.forecast?.daily ?? []);
  const today = shanghaiDay(now);
  const opened = shown.map((s) => shanghaiDay(new Date(s.campaign.opensAt)));
  const closed = shown.map((s) => shanghaiDay(new Date(s.campaign.closesAt)));
  const from = [...opened, ...tallies.map((t) => t.day)].sort()[0];
  const lastClose = closed.sort().at(-1)!;
  const to = [lastClose < today ? lastClose : today, ...tallies.map((t) => t.day)].sort().at(-1)!;
  if (from > to) return [];
  const byDay = new Map(daysBetween(from, to).map((day) => [day, { day, pledgedUnits: 0, depositPaidUnits: 0 }]));
  for (const t of tallies) {
    const point = byDay.get(t.day)!;
    point.pledgedUnits += t.pledgedUnits;
    point.depositPaidUnits += t.depositPaidUnits;
  }
  return [...byDay.values()];
}
