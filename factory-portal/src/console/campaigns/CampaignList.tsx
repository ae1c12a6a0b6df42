import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { CampaignStatusBadge } from '../../components/Badges';
import { PagedTable } from '../../components/PagedTable';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatMoney, formatNumber } from '../../lib/format';
import { depositsPaid } from './form';
import { type CampaignStatus, type OperatorCampaign, REFRESH_MS, useCampaignList } from './queries';
import { TimeLeft } from './TimeLeft';
import './campaigns.css';

const STATUSES: CampaignStatus[] = ['draft', 'scheduled', 'open', 'succeeded', 'failed', 'cancelled', 'completed'];

/** 活动: every campaign with its live progress, by state and title; refreshed every few seconds. */
export function CampaignList() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [status, setStatus] = useState<CampaignStatus | ''>('');
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useCampaignList({ status, q, offset });
  const number = (value: number) => formatNumber(value, language);
  return (
    <>
      <h1 id="campaigns-heading">{t('console.campaigns.title')}</h1>
      <p className="muted">{t('console.campaigns.intro')}</p>
      <p>
        <Link className="button primary" to="/console/campaigns/new">
          {t('console.campaigns.create')}
        </Link>
      </p>
      <form className="inline-form" role="search" aria-label={t('console.campaigns.filters')} onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="campaign-status">{t('console.campaigns.status')}</label>
          <select
            id="campaign-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as CampaignStatus | '');
              setOffset(0);
            }}
          >
            <option value="">{t('console.campaigns.allStatuses')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`campaignStatus.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="campaign-search">{t('console.campaigns.search')}</label>
          <input
            id="campaign-search"
            type="search"
            placeholder={t('console.campaigns.searchPlaceholder')}
            value={q}
            onChange={(e) => {
              setQ(e.target.value);
              setOffset(0);
            }}
          />
        </div>
      </form>
      {list.dataUpdatedAt > 0 && (
        <p className="hint" data-testid="refreshed">
          {t('console.campaigns.refreshed', { seconds: REFRESH_MS / 1000, time: formatDateTime(new Date(list.dataUpdatedAt).toISOString()) })}
        </p>
      )}
      <PagedTable
        query={list}
        empty={t('console.campaigns.empty')}
        labelledBy="campaigns-heading"
        testId="campaign-list"
        onOffset={setOffset}
        head={
          <>
            <th scope="col">{t('console.campaigns.list.campaign')}</th>
            <th scope="col">{t('console.campaigns.list.status')}</th>
            <th scope="col" className="num">
              {t('console.campaigns.list.progress')}
            </th>
            <th scope="col">{t('console.campaigns.list.tier')}</th>
            <th scope="col" className="num">
              {t('console.campaigns.list.deposits')}
            </th>
            <th scope="col" className="num">
              {t('console.campaigns.list.cap')}
            </th>
            <th scope="col">{t('console.campaigns.list.timeLeft')}</th>
            <th scope="col">{t('console.campaigns.list.closesAt')}</th>
          </>
        }
        row={(c: OperatorCampaign) => (
          <tr data-testid="campaign-row">
            <th scope="row">
              <Link to={`/console/campaigns/${c.id}`}>{c.title}</Link>
              <span className="cell-detail">{c.productName}</span>
            </th>
            <td>
              <CampaignStatusBadge status={c.status} />
            </td>
            <td className="num" data-testid="campaign-progress">
              {t('console.campaigns.progressOf', { paid: number(c.progress.paidUnits), threshold: number(c.tiers[0].minUnits) })}
            </td>
            <td>
              {c.progress.currentTier
                ? formatMoney(c.progress.currentTier.unitPrice)
                : t('console.campaigns.belowThreshold', { price: formatMoney(c.tiers[0].unitPrice) })}
            </td>
            <td className="num">{formatMoney(depositsPaid(c.progress.paidUnits, c.depositPerUnit))}</td>
            <td className="num">
              {c.maxUnits === null
                ? t('console.campaigns.noCap')
                : c.progress.remainingUnits === null
                  ? number(c.maxUnits)
                  : t('console.campaigns.capLeft', { cap: number(c.maxUnits), left: number(c.progress.remainingUnits) })}
            </td>
            <td>
              <TimeLeft campaign={c} />
            </td>
            <td>{formatDateTime(c.closesAt)}</td>
          </tr>
        )}
      />
    </>
  );
}
