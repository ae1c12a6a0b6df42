import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { Empty, QueryView } from '../../components/StateViews';
import { formatDateTime, formatMoney } from '../../lib/format';
import { NotFound } from '../../pages/NotFound';
import { Consumer, RefundReason, RetryOutcome, RetryRefund } from './MoneyPage';
import { MoneyTabs, StatusBadge, useWord } from './parts';
import { type MoneyRecord, type RecordKind, type RetryAnswer, RECORD_KINDS, useMoneyRecord } from './queries';
import './money.css';

/** One pledge, payment, refund, subscription or fruit box (/console/money/:kind/:id): state, amounts, what happened, related records, journal entries. */
export function RecordPage() {
  const { kind, id } = useParams();
  if (!kind || !id || !(RECORD_KINDS as readonly string[]).includes(kind)) return <NotFound />;
  return <Record kind={kind as RecordKind} id={id} />;
}

function Record({ kind, id }: { kind: RecordKind; id: string }) {
  const { t } = useTranslation();
  const record = useMoneyRecord(kind, id);
  return (
    <>
      <p>
        <Link to="/console/money">{t('console.money.record.back')}</Link>
      </p>
      <h1>
        {t(`console.money.kinds.${kind}`)} <code className="id">{id}</code>
      </h1>
      <MoneyTabs />
      <QueryView query={record}>{(r) => <RecordView record={r} />}</QueryView>
    </>
  );
}

function RecordView({ record }: { record: MoneyRecord }) {
  const { t } = useTranslation();
  const word = useWord();
  const [retried, setRetried] = useState<RetryAnswer | undefined>();
  const summary =
    record.kind === 'payments' ? word('paymentKind', record.summary) : record.kind === 'refunds' ? word('refundReason', record.summary) : record.summary;
  const canRetry = record.kind === 'refunds' && (record.status === 'failed' || record.stuck);
  return (
    <div data-testid="money-record">
      <section aria-labelledby="record-summary" className="record-summary">
        <h2 id="record-summary" className="visually-hidden">
          {t('console.money.record.summary')}
        </h2>
        <p>
          <StatusBadge kind={record.kind} status={record.status} stuck={record.stuck} /> <strong data-testid="record-summary">{summary}</strong>
        </p>
        <dl className="money-facts">
          {record.consumer && (
            <>
              <dt>{t('console.money.record.consumer')}</dt>
              <dd data-testid="record-consumer">
                <Consumer consumer={record.consumer} />
              </dd>
            </>
          )}
          {record.campaign && (
            <>
              <dt>{t('console.money.record.campaign')}</dt>
              <dd>
                <Link to={`/console/campaigns/${record.campaign.id}`}>{record.campaign.title}</Link>
              </dd>
            </>
          )}
        </dl>
        {retried && <RetryOutcome answer={retried} />}
        {canRetry && <RetryRefund refund={{ id: record.id, amount: record.amounts.find((a) => a.name === 'amount')?.amount ?? '0.00' }} onDone={setRetried} />}
      </section>
      <div className="money-columns">
        <section aria-labelledby="record-amounts">
          <h2 id="record-amounts">{t('console.money.record.amounts')}</h2>
          <dl className="money-facts" data-testid="record-amounts">
            {record.amounts.map((a) => (
              <div key={a.name}>
                <dt>{word('amountNames', a.name)}</dt>
                <dd className="money">{formatMoney(a.amount)}</dd>
              </div>
            ))}
          </dl>
        </section>
        {record.fields.length > 0 && (
          <section aria-labelledby="record-facts">
            <h2 id="record-facts">{t('console.money.record.facts')}</h2>
            <dl className="money-facts" data-testid="record-facts">
              {record.fields.map((f) => (
                <div key={f.name}>
                  <dt>{word('fieldNames', f.name)}</dt>
                  <dd>{word('fieldValues', f.value)}</dd>
                </div>
              ))}
            </dl>
          </section>
        )}
      </div>
      <Timeline record={record} />
      <Related record={record} />
      <Ledger record={record} />
    </div>
  );
}

function Timeline({ record }: { record: MoneyRecord }) {
  const { t } = useTranslation();
  const word = useWord();
  const now = Date.now();
  const detailOf = (event: string, detail: string | null) => {
    if (detail === null) return '';
    if (event.startsWith('payment_')) return word('paymentKind', detail);
    if (event.startsWith('refund_')) return word('refundReason', detail);
    if (event === 'ledger_entry') return word('entryKinds', detail);
    return detail;
  };
  return (
    <section aria-labelledby="record-timeline">
      <h2 id="record-timeline">{t('console.money.record.timeline')}</h2>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="record-timeline">
        <table data-testid="record-timeline">
          <thead>
            <tr>
              <th scope="col">{t('console.money.record.at')}</th>
              <th scope="col">{t('console.money.record.event')}</th>
              <th scope="col">{t('console.money.record.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {record.timeline.map((e, i) => (
              <tr key={i} data-event={e.event}>
                <td className="nowrap">
                  {formatDateTime(e.at)} {new Date(e.at).getTime() > now && <span className="muted">{t('console.money.record.future')}</span>}
                </td>
                <td>{word('events', e.event)}</td>
                <td>
                  {e.ref && e.ref.id !== record.id ? (
                    <Link to={`/console/money/${e.ref.kind}/${e.ref.id}`}>{detailOf(e.event, e.detail) || e.ref.id.slice(0, 8)}</Link>
                  ) : (
                    detailOf(e.event, e.detail)
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Related({ record }: { record: MoneyRecord }) {
  const { t } = useTranslation();
  const word = useWord();
  if (record.related.length === 0) return null;
  const summaryOf = (r: MoneyRecord['related'][number]) =>
    r.kind === 'payments' ? word('paymentKind', r.summary) : r.kind === 'refunds' ? <RefundReason reason={r.summary} /> : r.summary;
  return (
    <section aria-labelledby="record-related">
      <h2 id="record-related">{t('console.money.record.related')}</h2>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="record-related">
        <table data-testid="record-related">
          <thead>
            <tr>
              <th scope="col">{t('console.money.columns.kind')}</th>
              <th scope="col">{t('console.money.columns.id')}</th>
              <th scope="col">{t('console.money.columns.status')}</th>
              <th scope="col">{t('console.money.columns.amount')}</th>
              <th scope="col">{t('console.money.record.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {record.related.map((r) => (
              <tr key={`${r.kind}:${r.id}`} data-kind={r.kind}>
                <td>{t(`console.money.kinds.${r.kind}`)}</td>
                <th scope="row">
                  <Link to={`/console/money/${r.kind}/${r.id}`}>
                    <code className="id">{r.id.slice(0, 8)}</code>
                  </Link>
                </th>
                <td>{r.status ? <StatusBadge kind={r.kind} status={r.status} /> : '—'}</td>
                <td className="money">{r.amount ? formatMoney(r.amount) : '—'}</td>
                <td>{summaryOf(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The journal entries: each with its lines, debits and credits apart (an entry's lines sum to zero). */
function Ledger({ record }: { record: MoneyRecord }) {
  const { t } = useTranslation();
  const word = useWord();
  return (
    <section aria-labelledby="record-ledger">
      <h2 id="record-ledger">{t('console.money.record.ledger')}</h2>
      {record.ledger.length === 0 ? (
        <Empty>{t('console.money.record.noLedger')}</Empty>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="record-ledger">
          <table data-testid="record-ledger">
            <thead>
              <tr>
                <th scope="col">{t('console.money.record.entry')}</th>
                <th scope="col">{t('console.money.record.account')}</th>
                <th scope="col">{t('console.money.record.debit')}</th>
                <th scope="col">{t('console.money.record.credit')}</th>
              </tr>
            </thead>
            {record.ledger.map((entry) => (
              <tbody key={entry.id} className="ledger-entry" data-kind={entry.kind}>
                {entry.lines.map((line, i) => (
                  <tr key={line.account}>
                    {i === 0 && (
                      <th scope="rowgroup" rowSpan={entry.lines.length}>
                        {word('entryKinds', entry.kind)}
                        <span className="cell-detail">{formatDateTime(entry.createdAt)}</span>
                      </th>
                    )}
                    <td>
                      <AccountName account={line.account} />
                    </td>
                    <td className="money">{line.amount.startsWith('-') ? '' : formatMoney(line.amount)}</td>
                    <td className="money">{line.amount.startsWith('-') ? formatMoney(line.amount.slice(1)) : ''}</td>
                  </tr>
                ))}
              </tbody>
            ))}
          </table>
        </div>
      )}
    </section>
  );
}

/** An account in words (应付工厂), with the id of what it is owed to, if any, in small type. */
export function AccountName({ account }: { account: string }) {
  const word = useWord();
  const colon = account.indexOf(':');
  const kind = colon < 0 ? account : account.slice(0, colon);
  return (
    <>
      {word('accountKinds', kind)}
      {colon >= 0 && <code className="id cell-detail">{account.slice(colon + 1)}</code>}
    </>
  );
}
