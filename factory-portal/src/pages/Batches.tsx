import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useBatches } from '../api/queries';
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
            <td className="num">{number(batch.firmUnits)}</td>
            <td className="num">{number(batch.expectedUnits)}</td>
            <td className="num">
              {number(batch.committedLines)} / {number(batch.lineCount)}
            </td>
          </tr>
        )}
      />
    </>
  );
}
