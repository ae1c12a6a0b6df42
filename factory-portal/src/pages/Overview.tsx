import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useCampaigns, useFactory, useForecast } from '../api/queries';
import type { SupplyLine, Units } from '../api/types';

type WeekUnit = 'piece' | 'kg';
import { CampaignStatusBadge } from '../components/Badges';
import { DailyChart, WeeklyChart } from '../components/Charts';
import { Empty, ErrorMessage, Loading } from '../components/StateViews';
import { UnitFigures } from '../components/UnitFigures';
import { TierProgress } from '../components/TierProgress';
import { useLanguage } from '../i18n';
import { daysLeft, formatDateTime, formatNumber, formatWeek } from '../lib/format';
import { dailyPledges, overviewCampaigns, type OverviewCampaign } from '../lib/overview';

export function Overview() {
  const { t } = useTranslation();
  const language = useLanguage();
  const forecast = useForecast();
  const campaigns = useCampaigns();
  const factory = useFactory();

  for (const query of [forecast, campaigns, factory]) {
    if (query.isError) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  }
  if (!forecast.data || !campaigns.data || !factory.data) return <Loading />;

  const now = new Date();
  const shown = overviewCampaigns(campaigns.data.items, forecast.data, now);
  const isOrchard = factory.data.kind === 'orchard';
  const number = (value: number) => formatNumber(value, language);
  // Kilograms and pieces are never added together: a total per unit, named when there is more than one.
  const units = [...new Set(forecast.data.weeks.map((w) => w.unit))];
  const weeksIn = (unit: WeekUnit | undefined) => forecast.data.weeks.filter((w) => w.unit === unit);
  const sum = (key: keyof Units, unit: WeekUnit | undefined) => weeksIn(unit).reduce((total, w) => total + w[key], 0);
  const perUnit = (text: (unit: WeekUnit | undefined) => string) =>
    (units.length === 0 ? [undefined] : units).map((u) => (units.length > 1 && u ? `${text(u)} ${t(`unit.${u}`)}` : text(u))).join(' · ');

  return (
    <>
      <h1>{t('overview.title')}</h1>
      <p className="muted">{t('overview.updated', { time: formatDateTime(forecast.data.generatedAt) })}</p>

      <dl className="kpis">
        <div className="kpi">
          <dt>{t(units.length > 1 ? 'overview.totalFirmByUnit' : 'overview.totalFirm')}</dt>
          <dd data-testid="total-firm">{perUnit((u) => number(sum('firmUnits', u)))}</dd>
        </div>
        <div className="kpi">
          <dt>{t(units.length > 1 ? 'overview.totalExpectedByUnit' : 'overview.totalExpected')}</dt>
          <dd data-testid="total-expected">{perUnit((u) => number(sum('expectedUnits', u)))}</dd>
          <dd className="kpi-detail">{perUnit((u) => t('units.rangeOf', { low: number(sum('lowUnits', u)), high: number(sum('highUnits', u)) }))}</dd>
        </div>
        <div className="kpi">
          <dt>{isOrchard ? t('overview.fruitLines') : t('overview.openCampaigns')}</dt>
          <dd>{number(isOrchard ? new Set(forecast.data.supplies.map((s) => s.sourceKey)).size : shown.filter((s) => s.campaign.status === 'open').length)}</dd>
        </div>
      </dl>

      <div className="charts">
        {!isOrchard && <DailyChart points={dailyPledges(shown, now)} />}
        {units.length > 1 ? (
          units.map((u) => <WeeklyChart key={u} weeks={weeksIn(u)} unit={t(`unit.${u}`)} />)
        ) : (
          <WeeklyChart weeks={forecast.data.weeks} />
        )}
      </div>

      {(!isOrchard || shown.length > 0) && (
        <section aria-labelledby="campaigns-heading">
          <h2 id="campaigns-heading">{t('overview.campaigns')}</h2>
          {shown.length === 0 ? (
            <Empty>{t('overview.noCampaigns')}</Empty>
          ) : (
            <ul className="cards">
              {shown.map((item) => (
                <CampaignCard key={item.campaign.id} item={item} now={now} />
              ))}
            </ul>
          )}
        </section>
      )}

      {(isOrchard || forecast.data.supplies.length > 0) && <SupplyTable supplies={forecast.data.supplies} />}
    </>
  );
}

function CampaignCard({ item: { campaign, forecast }, now }: { item: OverviewCampaign; now: Date }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  const open = campaign.status === 'open' || campaign.status === 'scheduled';
  return (
    <li className="card" data-testid="campaign-card" data-campaign-id={campaign.id}>
      <h3>
        <Link to={`/campaigns/${campaign.id}`}>{campaign.title}</Link>
      </h3>
      <p className="card-meta">
        <CampaignStatusBadge status={campaign.status} />
        <span>{open ? t('overview.daysLeft', { days: number(daysLeft(campaign.closesAt, now)) }) : t('overview.closedOn', { time: formatDateTime(campaign.closesAt) })}</span>
        <span>{t('overview.ships', { date: campaign.expectedShipDate })}</span>
      </p>
      {forecast ? (
        <UnitFigures units={forecast.totals} />
      ) : (
        <p className="muted">{t(campaign.status === 'failed' || campaign.status === 'cancelled' ? 'overview.notProduced' : 'overview.noForecast')}</p>
      )}
      <TierProgress campaign={campaign} />
    </li>
  );
}

/** An orchard's demand: each fruit down, each ISO week of shipping across. */
function SupplyTable({ supplies }: { supplies: SupplyLine[] }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  const weeks = [...new Set(supplies.map((s) => s.week))].sort();
  const fruits = [...new Map(supplies.map((s) => [s.sourceKey, s])).values()].sort((a, b) => a.title.localeCompare(b.title));
  const cell = new Map(supplies.map((s) => [`${s.sourceKey}|${s.week}`, s]));
  return (
    <section aria-labelledby="supplies-heading">
      <h2 id="supplies-heading">{t('overview.supplies')}</h2>
      {supplies.length === 0 ? (
        <Empty>{t('overview.noSupplies')}</Empty>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="supplies-heading">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('overview.fruit')}</th>
                {weeks.map((week) => (
                  <th scope="col" key={week}>
                    {formatWeek(week, language)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {fruits.map((fruit) => (
                <tr key={fruit.sourceKey} data-testid="supply-row">
                  <th scope="row">
                    {fruit.title} <span className="muted">({t(`unit.${fruit.unit === 'kg' ? 'kg' : 'piece'}`)})</span>
                  </th>
                  {weeks.map((week) => {
                    const s = cell.get(`${fruit.sourceKey}|${week}`);
                    return (
                      <td key={week} className="num">
                        {s ? (
                          <>
                            <strong>{number(s.expectedUnits)}</strong>
                            <span className="cell-detail">{t('units.rangeOf', { low: number(s.lowUnits), high: number(s.highUnits) })}</span>
                            <span className="cell-detail">{t('units.firmShort', { units: number(s.firmUnits) })}</span>
                          </>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
