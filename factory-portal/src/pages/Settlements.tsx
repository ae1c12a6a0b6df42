import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { usePayouts, useStatements } from '../api/queries';
import type { Statement } from '../api/types';
import { PayoutStatusBadge } from '../components/Badges';
import { CsvDownload } from '../components/CsvDownload';
import { PagedTable } from '../components/PagedTable';
import { Pager } from '../components/Pager';
import { Empty, QueryView } from '../components/StateViews';
import { formatDateTime, formatMoney } from '../lib/format';

/** The statement's lines, in the order they add up to its net. */
const LINES = [
  'balancesReceived',
  'depositsApplied',
  'depositsForfeited',
  'fruitSupplied',
  'platformFee',
  'refunds',
  'adjustments',
  'net',
] as const satisfies readonly (keyof Statement)[];

/** The lines some statement of the page has (a manufacturer supplies no fruit, an orchard takes no deposits), and always the net. */
const linesOf = (statements: readonly Statement[]) => LINES.filter((line) => line === 'net' || statements.some((s) => !/^-?0\.00$/.test(s[line])));

/** 结算: what each completed campaign (or an orchard's ship week) earned the factory, with its entries as CSV, and the payouts that paid it. */
export function Settlements() {
  const { t } = useTranslation();
  const [statementOffset, setStatementOffset] = useState(0);
  const [payoutOffset, setPayoutOffset] = useState(0);
  const statements = useStatements(statementOffset);
  const payouts = usePayouts(payoutOffset);
  return (
    <>
      <h1>{t('settlements.title')}</h1>
      <p className="muted">{t('settlements.intro')}</p>
      <section aria-labelledby="statements-heading">
        <h2 id="statements-heading">{t('settlements.statements')}</h2>
        <div className="actions">
          <CsvDownload path="/v1/statements?format=csv&limit=100" fallbackName="statements.csv" label={t('settlements.downloadList')} />
        </div>
        <QueryView query={statements}>
          {(page) =>
            page.items.length === 0 ? (
              <Empty>{t('settlements.empty')}</Empty>
            ) : (
              <StatementTable statements={page.items}>
                <Pager page={page} onOffset={setStatementOffset} />
              </StatementTable>
            )
          }
        </QueryView>
      </section>
      <section aria-labelledby="payouts-heading">
        <h2 id="payouts-heading">{t('settlements.payouts')}</h2>
        <PagedTable
          query={payouts}
          empty={t('settlements.payoutsEmpty')}
          labelledBy="payouts-heading"
          testId="payout-list"
          onOffset={setPayoutOffset}
          head={
            <>
              <th scope="col">{t('settlements.createdAt')}</th>
              <th scope="col" className="num">
                {t('settlements.amount')}
              </th>
              <th scope="col">{t('settlements.status')}</th>
              <th scope="col">{t('settlements.reference')}</th>
              <th scope="col">{t('settlements.confirmedAt')}</th>
            </>
          }
          row={(p) => (
            <tr data-testid="payout-row" data-payout-id={p.id}>
              <td>{formatDateTime(p.createdAt)}</td>
              <td className="num" data-testid="payout-amount">
                {formatMoney(p.amount)}
              </td>
              <td>
                <PayoutStatusBadge status={p.status} />
              </td>
              <td>{p.reference ?? '—'}</td>
              <td>{p.confirmedAt ? formatDateTime(p.confirmedAt) : '—'}</td>
            </tr>
          )}
        />
      </section>
    </>
  );
}

function StatementTable({ statements, children }: { statements: Statement[]; children: ReactNode }) {
  const { t } = useTranslation();
  const lines = linesOf(statements);
  return (
    <>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="statements-heading">
        <table data-testid="statement-list">
          <thead>
            <tr>
              <th scope="col">{t('settlements.campaign')}</th>
              <th scope="col">{t('settlements.createdAt')}</th>
              {lines.map((line) => (
                <th scope="col" className="num" key={line}>
                  {t(`settlements.${line}`)}
                </th>
              ))}
              <th scope="col">{t('settlements.payment')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('settlements.entries')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {statements.map((s) => (
              <tr key={s.id} data-testid="statement-row" data-statement-id={s.id}>
                <th scope="row">{s.campaignTitle ?? t('settlements.week', { week: s.period })}</th>
                <td>{formatDateTime(s.createdAt)}</td>
                {lines.map((line) => (
                  <td className="num" key={line} data-testid={`statement-${line}`}>
                    {line === 'net' ? <strong>{formatMoney(s[line])}</strong> : formatMoney(s[line])}
                  </td>
                ))}
                <td>{s.payoutId ? t('settlements.inPayout') : t('settlements.unpaid')}</td>
                <td>
                  <CsvDownload
                    path={`/v1/statements/${encodeURIComponent(s.id)}/entries?format=csv`}
                    fallbackName={`statement-${s.id}-entries.csv`}
                    label={t('settlements.entries')}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {children}
    </>
  );
}
