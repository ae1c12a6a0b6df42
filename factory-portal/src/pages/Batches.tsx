import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useBatches } from '../api/queries';
import type { BatchSummary } from '../api/types';
import { BatchStatusBadge } from '../components/Badges';
import { PagedTable } from '../components/PagedTable';
import { useLanguage } from '../i18n';
import { formatDateTime, formatNumber } from '../lib/format';

export function Batches() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [offset, setOffset] = useState(0);
  const batches = useBatches(offset);
  const number = (value: number) => formatNumber(value, language);
  // Kilograms and pieces are never added together: one figure per unit, named when a batch has more than one (an orchard's: 97 个 · 9 公斤).
  const perUnit = (batch: BatchSummary, key: 'firmUnits' | 'expectedUnits') =>
    batch.totals.length === 0 ? number(0) : batch.totals.map((u) => (batch.totals.length > 1 ? `${number(u[key])} ${t(`unit.${u.unit}`)}` : number(u[key]))).join(' · ');
  return (
    <>
      <h1 id="batches-heading">{t('batches.title')}</h1>
      <p className="muted">{t('batches.intro')}</p>
      <PagedTable
        query={batches}
        empty={t('batches.empty')}
        labelledBy="batches-heading"
        testId="batch-list"
        onOffset={setOffset}
        head={
          <>
            <th scope="col">{t('batches.version')}</th>
            <th scope="col">{t('batches.publishedAt')}</th>
            <th scope="col">{t('batches.trigger')}</th>
            <th scope="col">{t('batches.status')}</th>
            <th scope="col" className="num">{t('batches.lines')}</th>
            <th scope="col" className="num">{t('units.firm')}</th>
            <th scope="col" className="num">{t('units.expected')}</th>
            <th scope="col" className="num">{t('batches.committed')}</th>
          </>
        }
        row={(batch) => (
          <tr data-testid="batch-row" data-batch-id={batch.id}>
            <th scope="row">
              <Link to={`/batches/${batch.id}`}>{t('batches.versionLabel', { version: batch.version })}</Link>
            </th>
            <td>{formatDateTime(batch.publishedAt)}</td>
            <td>{t(`trigger.${batch.trigger}`)}</td>
            <td>
              <BatchStatusBadge status={batch.status} />
            </td>
            <td className="num">{number(batch.lineCount)}</td>
            <td className="num" data-testid="batch-firm">{perUnit(batch, 'firmUnits')}</td>
            <td className="num" data-testid="batch-expected">{perUnit(batch, 'expectedUnits')}</td>
            <td className="num">
              {number(batch.committedLines)} / {number(batch.lineCount)}
            </td>
          </tr>
        )}
      />
    </>
  );
}
