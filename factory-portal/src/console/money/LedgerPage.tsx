import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Empty, QueryView } from '../../components/StateViews';
import { formatDateTime, formatMoney } from '../../lib/format';
import { MoneyTabs, useWord } from './parts';
import { type LedgerBoard, useLedgerBoard } from './queries';
import { AccountName } from './RecordPage';
import './money.css';

/**
 * 对账与余额 (/console/money/ledger): every reconcile check green or red, the totals, every account's balance, and
 * what is owed to each factory and shop owner. The checks run on the server each time the page opens (or is asked again).
 */
export function LedgerPage() {
  const { t } = useTranslation();
  const board = useLedgerBoard();
  return (
    <>
      <h1>{t('console.money.title')}</h1>
      <MoneyTabs />
      <QueryView query={board}>
        {(b) => (
          <>
            <Checks board={b} onRefresh={() => void board.refetch()} refreshing={board.isFetching} />
            <Totals board={b} />
            <Factories board={b} />
            <Shops board={b} />
            <Balances board={b} />
          </>
        )}
      </QueryView>
    </>
  );
}

function Checks({ board, onRefresh, refreshing }: { board: LedgerBoard; onRefresh: () => void; refreshing: boolean }) {
  const { t } = useTranslation();
  const word = useWord();
  const failed = board.checks.filter((c) => !c.ok).length;
  return (
    <section aria-labelledby="checks-heading">
      <h2 id="checks-heading">{t('console.money.ledger.heading')}</h2>
      <p className="muted">{t('console.money.ledger.intro')}</p>
      <p>
        <span className={`badge ${board.ok ? 'badge-ok' : 'badge-failed'}`} data-testid="board-verdict">
          {board.ok
            ? t('console.money.ledger.allOk', { count: board.checks.length })
            : t('console.money.ledger.someFailed', { failed, count: board.checks.length })}
        </span>{' '}
        <span className="muted small">{t('console.money.ledger.checkedAt', { time: formatDateTime(board.checkedAt) })}</span>{' '}
        <button type="button" onClick={onRefresh} disabled={refreshing}>
          {t('console.money.ledger.refresh')}
        </button>
      </p>
      <ul className="check-board" data-testid="checks">
        {board.checks.map((c) => (
          <li key={c.check} className={c.ok ? 'check-ok' : 'check-failed'} data-check={c.check} data-ok={c.ok}>
            <span className={`badge ${c.ok ? 'badge-ok' : 'badge-failed'}`}>{c.ok ? t('console.money.ledger.ok') : t('console.money.ledger.failed')}</span>{' '}
            <strong>{word('checks', c.check)}</strong>
            {!c.ok && (
              <div className="check-detail small">
                {t('console.money.ledger.found')}
                <ul data-testid="violations">
                  {c.violations.map((v) => (
                    <li key={v}>
                      <code>{v}</code>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Totals({ board }: { board: LedgerBoard }) {
  const { t } = useTranslation();
  const word = useWord();
  return (
    <section aria-labelledby="totals-heading">
      <h2 id="totals-heading">{t('console.money.ledger.totals')}</h2>
      <dl className="money-facts money-totals" data-testid="totals">
        {Object.entries(board.totals).map(([name, amount]) => {
          // "received (USD)": a figure of another currency, named with it.
          const [base, currency] = name.split(' ');
          return (
            <div key={name}>
              <dt>
                {word('totals', base)} {currency ?? ''}
              </dt>
              <dd className="money">{formatMoney(amount)}</dd>
            </div>
          );
        })}
      </dl>
    </section>
  );
}

function Factories({ board }: { board: LedgerBoard }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="factories-owed-heading">
      <h2 id="factories-owed-heading">{t('console.money.ledger.factories')}</h2>
      <p className="muted">{t('console.money.ledger.factoriesIntro')}</p>
      {board.factories.length === 0 ? (
        <Empty>{t('console.money.ledger.factoriesEmpty')}</Empty>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="factories-owed-heading">
          <table data-testid="owed-factories">
            <thead>
              <tr>
                <th scope="col">{t('console.factories.name')}</th>
                <th scope="col">{t('console.money.ledger.payable')}</th>
                <th scope="col">{t('console.money.ledger.unpaidStatements')}</th>
                <th scope="col">{t('console.money.ledger.inFlight')}</th>
                <th scope="col">{t('console.money.ledger.paidOut')}</th>
              </tr>
            </thead>
            <tbody>
              {board.factories.map((f) => (
                <tr key={f.factoryId} data-id={f.factoryId}>
                  <th scope="row">
                    <Link to={`/console/factories/${f.factoryId}`}>{f.name}</Link>
                  </th>
                  <td className="money">{formatMoney(f.payable)}</td>
                  <td className="money">{formatMoney(f.unpaidStatements)}</td>
                  <td className="money">{formatMoney(f.inFlight)}</td>
                  <td className="money">{formatMoney(f.paidOut)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Shops({ board }: { board: LedgerBoard }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="shops-owed-heading">
      <h2 id="shops-owed-heading">{t('console.money.ledger.shops')}</h2>
      <p className="muted">{t('console.money.ledger.shopsIntro')}</p>
      {board.shops.length === 0 ? (
        <Empty>{t('console.money.ledger.shopsEmpty')}</Empty>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="shops-owed-heading">
          <table data-testid="owed-shops">
            <thead>
              <tr>
                <th scope="col">{t('console.money.ledger.subject')}</th>
                <th scope="col">{t('console.money.ledger.payable')}</th>
                <th scope="col">{t('console.money.ledger.pending')}</th>
                <th scope="col">{t('console.money.ledger.settled')}</th>
                <th scope="col">{t('console.money.ledger.held')}</th>
                <th scope="col">{t('console.money.ledger.paid')}</th>
              </tr>
            </thead>
            <tbody>
              {board.shops.map((s) => (
                <tr key={s.shopId} data-id={s.shopId}>
                  <th scope="row">{s.name}</th>
                  <td className="money">{formatMoney(s.payable)}</td>
                  <td className="money">{formatMoney(s.pending)}</td>
                  <td className="money">{formatMoney(s.settled)}</td>
                  <td className="money">{formatMoney(s.held)}</td>
                  <td className="money">{formatMoney(s.paid)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Balances({ board }: { board: LedgerBoard }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="balances-heading">
      <h2 id="balances-heading">{t('console.money.ledger.balances')}</h2>
      <p className="muted">{t('console.money.ledger.balancesIntro')}</p>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="balances-heading">
        <table data-testid="balances">
          <thead>
            <tr>
              <th scope="col">{t('console.money.ledger.accountKind')}</th>
              <th scope="col">{t('console.money.ledger.subject')}</th>
              <th scope="col">{t('console.money.ledger.balance')}</th>
            </tr>
          </thead>
          <tbody>
            {board.accounts.map((a) => (
              <tr key={a.account} data-account={a.account}>
                <th scope="row">
                  <AccountName account={a.kind} />
                </th>
                <td>{a.name ?? a.subjectId ?? '—'}</td>
                <td className="money">{formatMoney(a.balance)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
