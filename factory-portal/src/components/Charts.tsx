import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, ComposedChart, ErrorBar, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Accuracy, Units } from '../api/types';
import { useLanguage } from '../i18n';
import { formatNumber, formatPercent, formatWeek } from '../lib/format';
import type { DayPoint } from '../lib/overview';
import { Empty } from './StateViews';

// Colours with at least 3:1 contrast against white (WCAG for graphics); every series is also named in the legend.
const COLOURS = { firm: '#1e40af', expected: '#60a5fa', range: '#172554', paid: '#15803d', bias: '#b45309', actual: '#b91c1c' };
const HEIGHT = 260;

/** A chart with its title; the same figures are always in a table beside it, for reading exact values and for screen readers. */
function ChartFigure({ title, empty, emptyText, children }: { title: string; empty: boolean; emptyText: string; children: ReactElement }) {
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {empty ? (
        <Empty>{emptyText}</Empty>
      ) : (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          {children}
        </ResponsiveContainer>
      )}
    </figure>
  );
}

function useNumber() {
  const language = useLanguage();
  return (value: unknown) => (typeof value === 'number' ? formatNumber(value, language) : String(value));
}

/** A legend in the order of the bars it names (Recharts sorts legends by their text unless told otherwise). */
const inOrder =
  (...dataKeys: string[]) =>
  (item: { dataKey?: unknown }) =>
    dataKeys.indexOf(String(item.dataKey));

/** Firm and expected units per ISO week of ship date, the expected bar with its low–high range. */
export function WeeklyChart({ weeks, unit }: { weeks: (Units & { week: string })[]; unit?: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = useNumber();
  const data = weeks.map((w) => ({ ...w, range: [w.expectedUnits - w.lowUnits, w.highUnits - w.expectedUnits] }));
  return (
    <ChartFigure title={unit ? t('charts.weeklyIn', { unit }) : t('charts.weekly')} empty={weeks.length === 0} emptyText={t('charts.noWeeks')}>
      <ComposedChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="week" />
        <YAxis tickFormatter={number} allowDecimals={false} />
        <Tooltip
          formatter={number}
          labelFormatter={(week) => formatWeek(String(week), language)}
        />
        <Legend itemSorter={inOrder('firmUnits', 'expectedUnits')} />
        <Bar dataKey="firmUnits" name={t('units.firm')} fill={COLOURS.firm} />
        <Bar dataKey="expectedUnits" name={t('charts.expectedWithRange')} fill={COLOURS.expected}>
          <ErrorBar dataKey="range" width={6} stroke={COLOURS.range} />
        </Bar>
      </ComposedChart>
    </ChartFigure>
  );
}

/** Units pledged per day (Asia/Shanghai), and of those the units whose deposit is paid. */
export function DailyChart({ points }: { points: DayPoint[] }) {
  const { t } = useTranslation();
  const number = useNumber();
  return (
    <ChartFigure title={t('charts.daily')} empty={points.every((p) => p.pledgedUnits === 0)} emptyText={t('charts.noPledges')}>
      <BarChart data={points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="day" tickFormatter={(day: string) => day.slice(5)} />
        <YAxis tickFormatter={number} allowDecimals={false} />
        <Tooltip formatter={number} />
        <Legend itemSorter={inOrder('pledgedUnits', 'depositPaidUnits')} />
        <Bar dataKey="pledgedUnits" name={t('charts.pledgedUnits')} fill={COLOURS.expected} maxBarSize={48} />
        <Bar dataKey="depositPaidUnits" name={t('charts.depositPaidUnits')} fill={COLOURS.paid} maxBarSize={48} />
      </BarChart>
    </ChartFigure>
  );
}

/** Each version's error against what was finally paid for: MAPE (how far off) and bias (too high above zero). */
export function VersionAccuracyChart({ versions }: { versions: Accuracy['versions'] }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const data = versions.map((v) => ({ ...v, label: `v${v.version}` }));
  return (
    <ChartFigure title={t('accuracy.byVersion')} empty={versions.length === 0} emptyText={t('accuracy.empty')}>
      <BarChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="label" />
        <YAxis tickFormatter={(v: number) => formatPercent(v, language)} />
        <Tooltip formatter={(v) => formatPercent(typeof v === 'number' ? v : null, language)} />
        <Legend itemSorter={inOrder('mapePercent', 'biasPercent')} />
        <ReferenceLine y={0} stroke="#374151" />
        <Bar dataKey="mapePercent" name={t('accuracy.mape')} fill={COLOURS.firm} />
        <Bar dataKey="biasPercent" name={t('accuracy.bias')} fill={COLOURS.bias} />
      </BarChart>
    </ChartFigure>
  );
}

/** How one campaign's expected units moved from version to version, against the units actually paid for. */
export function CampaignAccuracyChart({ campaign }: { campaign: Accuracy['campaigns'][number] }) {
  const { t } = useTranslation();
  const number = useNumber();
  const data = campaign.versions.map((v) => ({ ...v, label: `v${v.version}` }));
  return (
    <ChartFigure title={campaign.title} empty={data.length === 0} emptyText={t('accuracy.empty')}>
      <LineChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="label" />
        <YAxis tickFormatter={number} allowDecimals={false} />
        <Tooltip formatter={number} />
        <Legend />
        <ReferenceLine y={campaign.actualUnits} stroke={COLOURS.actual} strokeDasharray="6 3" label={t('accuracy.actual', { units: number(campaign.actualUnits) })} />
        <Line type="monotone" dataKey="expectedUnits" name={t('units.expected')} stroke={COLOURS.firm} strokeWidth={2} />
      </LineChart>
    </ChartFigure>
  );
}
