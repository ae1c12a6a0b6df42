import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { useCampaign, useForecast } from '../api/queries';
import type { Campaign, CampaignForecast } from '../api/types';
import { useSignedIn } from '../auth/AuthProvider';
import { CampaignStatusBadge } from '../components/Badges';
import { DailyChart } from '../components/Charts';
import { Empty, ErrorMessage, Loading } from '../components/StateViews';
import { UnitFigures } from '../components/UnitFigures';
import { TierProgress } from '../components/TierProgress';
import { NotFound } from './NotFound';
import { useLanguage } from '../i18n';
import { daysLeft, formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { type UnitTotals, matrixTotals, optionLabel, valueLabel, variantMatrix } from '../lib/matrix';
import { dailyPledges } from '../lib/overview';

export function CampaignDetail() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const { session } = useSignedIn();
  const campaign = useCampaign(id);
  const forecast = useForecast();

  // Campaigns are public, but the portal shows a factory its own only: another's is "not found", as the API does for batches.
  const notOurs = (campaign.error instanceof ApiError && campaign.error.status === 404) || (campaign.data && campaign.data.factoryId !== session.user.factoryId);
  if (notOurs) return <NotFound message={t('campaign.notFound')} />;
  for (const query of [campaign, forecast]) {
    if (query.isError) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  }
  if (!campaign.data || !forecast.data) return <Loading />;
  return <Detail campaign={campaign.data} forecast={forecast.data.campaigns.find((c) => c.campaignId === id)} />;
}

function Detail({ campaign, forecast }: { campaign: Campaign; forecast: CampaignForecast | undefined }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  const now = new Date();
  const open = campaign.status === 'open' || campaign.status === 'scheduled';
  return (
    <>
      <p className="breadcrumb">
        <Link to="/">{t('nav.overview')}</Link>
      </p>
      <h1>{campaign.title}</h1>
      <p className="card-meta">
        <CampaignStatusBadge status={campaign.status} />
        <span>{campaign.productName}</span>
        {open && <span>{t('overview.daysLeft', { days: number(daysLeft(campaign.closesAt, now)) })}</span>}
      </p>

      <div className="two-columns">
        <section aria-labelledby="terms-heading">
          <h2 id="terms-heading">{t('campaign.terms')}</h2>
          <dl className="terms">
            <dt>{t('campaign.referencePrice')}</dt>
            <dd>{formatMoney(campaign.referencePrice)}</dd>
            <dt>{t('campaign.depositPerUnit')}</dt>
            <dd>{formatMoney(campaign.depositPerUnit)}</dd>
            {campaign.finalUnitPrice && (
              <>
                <dt>{t('campaign.finalUnitPrice')}</dt>
                <dd>{formatMoney(campaign.finalUnitPrice)}</dd>
              </>
            )}
            <dt>{t('campaign.window')}</dt>
            <dd>
              {formatDateTime(campaign.opensAt)} – {formatDateTime(campaign.closesAt)}
            </dd>
            <dt>{t('campaign.expectedShipDate')}</dt>
            <dd>{campaign.expectedShipDate}</dd>
            <dt>{t('campaign.cap')}</dt>
            <dd>{campaign.maxUnits === null ? t('campaign.noCap') : number(campaign.maxUnits)}</dd>
            <dt>{t('campaign.variantMinimum')}</dt>
            <dd>{campaign.variantMinUnits === null ? t('campaign.noMinimum') : number(campaign.variantMinUnits)}</dd>
            <dt>{t('campaign.pledgers')}</dt>
            <dd>{number(campaign.progress.pledgers)}</dd>
          </dl>
        </section>
        <section aria-labelledby="tiers-heading">
          <h2 id="tiers-heading">{t('campaign.tiers')}</h2>
          <TierProgress campaign={campaign} />
          {forecast && (
            <UnitFigures units={forecast.totals} />
          )}
        </section>
      </div>

      <section aria-labelledby="matrix-heading">
        <h2 id="matrix-heading">{t('campaign.matrix')}</h2>
        {forecast ? (
          <Matrix campaign={campaign} forecast={forecast} />
        ) : (
          <Empty>{t(campaign.status === 'failed' || campaign.status === 'cancelled' ? 'overview.notProduced' : 'overview.noForecast')}</Empty>
        )}
      </section>

      <DailyChart points={dailyPledges([{ campaign, forecast }], now)} />
    </>
  );
}

function Matrix({ campaign, forecast }: { campaign: Campaign; forecast: CampaignForecast }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  const matrix = variantMatrix(campaign.options, forecast.variants, campaign.variantMinUnits, campaign.droppedVariants);
  // Options and values read as their labels (颜色 / 黑色); the keys stay in data-variant for the API's sake.
  const optionNamed = (name: string) => campaign.options.find((o) => o.name === name);
  const totals = matrixTotals(matrix);
  const total = (units: UnitTotals) => (
    <>
      <span className="cell-main">{t('units.firmShort', { units: number(units.firmUnits) })}</span>
      <span className="cell-detail">{t('units.expectedShort', { units: number(units.expectedUnits) })}</span>
    </>
  );
  return (
    <>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="matrix-heading">
        <table className="matrix" data-testid="variant-matrix">
          <thead>
            <tr>
              <th scope="col">{matrix.rowOptions.map((name) => optionLabel(optionNamed(name), name, language)).join(' / ')}</th>
              {matrix.column.values.map((value) => (
                <th scope="col" key={value}>
                  {valueLabel(matrix.column, value, language)}
                </th>
              ))}
              <th scope="col">{t('campaign.total')}</th>
            </tr>
          </thead>
          <tbody>
            {matrix.rows.map((row, r) => (
              <tr key={row.values.join('|')}>
                <th scope="row">{row.values.map((value, i) => valueLabel(optionNamed(matrix.rowOptions[i]), value, language)).join(' / ') || t('campaign.allVariants')}</th>
                {row.cells.map((cell) => {
                  const marked = cell.dropped || cell.belowMinimum;
                  return (
                    <td key={cell.variant} className={marked ? 'below-minimum' : undefined} data-variant={cell.variant}>
                      {cell.forecast ? (
                        <>
                          <span className="cell-main">{t('units.firmShort', { units: number(cell.forecast.firmUnits) })}</span>
                          <span className="cell-detail">{t('units.expectedShort', { units: number(cell.forecast.expectedUnits) })}</span>
                          <span className="cell-detail">{t('units.rangeOf', { low: number(cell.forecast.lowUnits), high: number(cell.forecast.highUnits) })}</span>
                        </>
                      ) : (
                        <span className="muted">{t('campaign.noPledges')}</span>
                      )}
                      {marked && <span className="flag">{cell.dropped ? t('campaign.dropped') : t('campaign.belowMinimum')}</span>}
                    </td>
                  );
                })}
                <td className="matrix-total" data-testid="row-total">
                  {total(totals.rows[r])}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{t('campaign.total')}</th>
              {totals.columns.map((units, i) => (
                <td key={matrix.column.values[i]} className="matrix-total" data-testid="column-total">
                  {total(units)}
                </td>
              ))}
              <td className="matrix-total" data-testid="matrix-total">
                {total(totals.all)}
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      <p className="muted legend">{t('campaign.matrixLegend')}</p>
    </>
  );
}
