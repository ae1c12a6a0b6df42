import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { PagedTable } from '../../components/PagedTable';
import { ActionError, Empty } from '../../components/StateViews';
import { formatDateTime, formatMoney } from '../../lib/format';
import { Field, hasFieldErrors } from '../../components/Field';
import { ReasonForm } from '../../components/ReasonForm';
import { MoneyTabs, StatusBadge, useWord } from './parts';
import { type Found, type Refund, type RetryAnswer, RECORD_KINDS, useMoneySearch, useRefundsToLookAt, useRetryRefund } from './queries';
import './money.css';

/** 资金 (/console/money): find any record by id, phone, email or campaign; the failed and stuck refunds, each sent again by hand. */
export function MoneyPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.money.title')}</h1>
      <p className="muted">{t('console.money.intro')}</p>
      <MoneyTabs />
      <Search />
      <RefundsToLookAt />
    </>
  );
}

/** The search box; what was asked stays in the address (?q=), so going back to it from a record shows it again. */
function Search() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [text, setText] = useState(q);
  const found = useMoneySearch(q);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setParams(text.trim() ? { q: text.trim() } : {});
  };
  return (
    <section aria-labelledby="money-search-heading">
      <h2 id="money-search-heading">{t('console.money.search.heading')}</h2>
      <form className="console-filters" role="search" onSubmit={submit}>
        <Field id="money-q" label={t('console.money.search.label')} hint={t('console.money.search.hint')} error={found.error} path="query.q">
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />
        </Field>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={found.isFetching}>
            {found.isFetching ? t('console.money.search.searching') : t('console.money.search.submit')}
          </button>
        </div>
      </form>
      {q && found.isError && !hasFieldErrors(found.error) && <ActionError error={found.error} />}
      {q && found.data && <Results found={found.data} q={q} />}
    </section>
  );
}

function Results({ found, q }: { found: Found; q: string }) {
  const { t } = useTranslation();
  const total = RECORD_KINDS.reduce((n, kind) => n + found[kind].total, 0);
  const { consumers, campaigns } = found.matched;
  return (
    <div data-testid="search-results">
      {(consumers.length > 0 || campaigns.length > 0) && (
        <p className="muted" data-testid="read-as">
          {t('console.money.search.readAs')}{' '}
          {[
            ...consumers.map((c) => t('console.money.search.consumer', { name: c.name, contact: c.contact ?? '—' })),
            ...campaigns.map((c) => t('console.money.search.campaign', { title: c.title })),
          ].join('；')}
        </p>
      )}
      {total === 0 ? (
        <Empty>{t('console.money.search.nothing', { q })}</Empty>
      ) : (
        <>
          <Group kind="pledges" found={found} head={['status', 'campaign', 'consumer', 'variant', 'deposit', 'createdAt']}>
            {found.pledges.items.map((p) => (
              <Row key={p.id} kind="pledges" id={p.id} status={<StatusBadge kind="pledges" status={p.status} />}>
                <td>{p.campaign?.title ?? '—'}</td>
                <td>{p.consumer ? <Consumer consumer={p.consumer} /> : '—'}</td>
                <td>
                  <Bilingual text={p.variant} /> × {p.quantity}
                </td>
                <td className="money">{formatMoney(p.deposit)}</td>
                <td className="nowrap">{formatDateTime(p.createdAt)}</td>
              </Row>
            ))}
          </Group>
          <Group kind="payments" found={found} head={['status', 'kind', 'amount', 'consumer', 'provider', 'createdAt']}>
            {found.payments.items.map((p) => (
              <Row key={p.id} kind="payments" id={p.id} status={<StatusBadge kind="payments" status={p.status} />}>
                <td>
                  <PaymentKind kind={p.kind} />
                  {p.campaign && <span className="cell-detail">{p.campaign.title}</span>}
                </td>
                <td className="money">{formatMoney(p.amount)}</td>
                <td>{p.consumer ? <Consumer consumer={p.consumer} /> : '—'}</td>
                <td>
                  {p.provider}
                  {p.transactionId && <code className="id cell-detail">{p.transactionId}</code>}
                </td>
                <td className="nowrap">{formatDateTime(p.createdAt)}</td>
              </Row>
            ))}
          </Group>
          <Group kind="refunds" found={found} head={['status', 'reason', 'amount', 'consumer', 'attempts', 'createdAt']}>
            {found.refunds.items.map((r) => (
              <Row key={r.id} kind="refunds" id={r.id} status={<StatusBadge kind="refunds" status={r.status} stuck={r.stuck} />}>
                <td>
                  <RefundReason reason={r.reason} />
                  {r.campaign && <span className="cell-detail">{r.campaign.title}</span>}
                </td>
                <td className="money">{formatMoney(r.amount)}</td>
                <td>{r.consumer ? <Consumer consumer={r.consumer} /> : '—'}</td>
                <td>{r.attempts}</td>
                <td className="nowrap">{formatDateTime(r.createdAt)}</td>
              </Row>
            ))}
          </Group>
          <Group kind="subscriptions" found={found} head={['status', 'plan', 'consumer', 'nextDelivery', 'createdAt']}>
            {found.subscriptions.items.map((s) => (
              <Row key={s.id} kind="subscriptions" id={s.id} status={<StatusBadge kind="subscriptions" status={s.status} />}>
                <td>
                  <Bilingual text={s.plan} />
                </td>
                <td>{s.consumer ? <Consumer consumer={s.consumer} /> : '—'}</td>
                <td>{s.nextDeliveryDate ?? '—'}</td>
                <td className="nowrap">{formatDateTime(s.createdAt)}</td>
              </Row>
            ))}
          </Group>
          <Group kind="boxes" found={found} head={['status', 'deliveryDate', 'price', 'consumer']}>
            {found.boxes.items.map((b) => (
              <Row key={b.id} kind="boxes" id={b.id} status={<StatusBadge kind="boxes" status={b.status} />}>
                <td>{b.deliveryDate}</td>
                <td className="money">{formatMoney(b.price)}</td>
                <td>{b.consumer ? <Consumer consumer={b.consumer} /> : '—'}</td>
              </Row>
            ))}
          </Group>
        </>
      )}
    </div>
  );
}

type Column = keyof typeof import('./i18n').zh.columns;

/** One kind's records: a table with its heading and how many there are in all; nothing when there are none. */
function Group({ kind, found, head, children }: { kind: (typeof RECORD_KINDS)[number]; found: Found; head: Column[]; children: ReactNode }) {
  const { t } = useTranslation();
  const group = found[kind];
  if (group.total === 0) return null;
  const headingId = `found-${kind}`;
  return (
    <section aria-labelledby={headingId} data-testid={`found-${kind}`}>
      <h3 id={headingId}>
        {t(`console.money.kinds.${kind}`)}{' '}
        <span className="muted small">{t('console.money.search.shown', { shown: group.items.length, total: group.total })}</span>
      </h3>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={headingId}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('console.money.columns.id')}</th>
              {head.map((c) => (
                <th scope="col" key={c}>
                  {t(`console.money.columns.${c}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
    </section>
  );
}

/** A found record's row: its id links to its record page. */
function Row({ kind, id, status, children }: { kind: string; id: string; status: ReactNode; children: ReactNode }) {
  return (
    <tr data-testid="found-row" data-id={id}>
      <th scope="row">
        <Link to={`/console/money/${kind}/${id}`}>
          <code className="id">{id.slice(0, 8)}</code>
        </Link>
      </th>
      <td>{status}</td>
      {children}
    </tr>
  );
}

export function Consumer({ consumer }: { consumer: { name: string; contact: string | null } }) {
  return (
    <>
      {consumer.name}
      {consumer.contact && <span className="cell-detail">{consumer.contact}</span>}
    </>
  );
}

export function PaymentKind({ kind }: { kind: string }) {
  return <>{useWord()('paymentKind', kind)}</>;
}

export function RefundReason({ reason }: { reason: string }) {
  return <>{useWord()('refundReason', reason)}</>;
}

/** What the API sends in both languages (a plan's name, a variant in its campaign's labels), in the reader's. */
function Bilingual({ text }: { text: { zh: string; en: string } }) {
  const { i18n } = useTranslation();
  return <>{i18n.language.startsWith('en') ? text.en : text.zh}</>;
}

/** Failed refunds and stuck ones, each with its last error and attempts, and a way to send it again. */
function RefundsToLookAt() {
  const { t } = useTranslation();
  const [offset, setOffset] = useState(0);
  const refunds = useRefundsToLookAt(offset);
  // Said above the list: a refund paid out leaves the list, and its row with it.
  const [done, setDone] = useState<RetryAnswer | undefined>();
  return (
    <section aria-labelledby="refunds-heading">
      <h2 id="refunds-heading">{t('console.money.refunds.heading')}</h2>
      <p className="muted">{t('console.money.refunds.intro')}</p>
      {done && <RetryOutcome answer={done} />}
      <PagedTable
        query={refunds}
        empty={t('console.money.refunds.empty')}
        labelledBy="refunds-heading"
        testId="refunds-to-look-at"
        onOffset={setOffset}
        head={
          <>
            <th scope="col">{t('console.money.columns.id')}</th>
            <th scope="col">{t('console.money.columns.status')}</th>
            <th scope="col">{t('console.money.columns.reason')}</th>
            <th scope="col">{t('console.money.columns.amount')}</th>
            <th scope="col">{t('console.money.columns.attempts')}</th>
            <th scope="col">{t('console.money.columns.lastError')}</th>
            <th scope="col">{t('console.money.columns.createdAt')}</th>
            <th scope="col">{t('console.money.columns.action')}</th>
          </>
        }
        row={(r) => <RefundRow refund={r} onDone={setDone} />}
      />
    </section>
  );
}

function RefundRow({ refund, onDone }: { refund: Refund; onDone: (answer: RetryAnswer) => void }) {
  return (
    <tr data-testid="refund-row" data-id={refund.id}>
      <th scope="row">
        <Link to={`/console/money/refunds/${refund.id}`}>
          <code className="id">{refund.id.slice(0, 8)}</code>
        </Link>
      </th>
      <td>
        <StatusBadge kind="refunds" status={refund.status} stuck={refund.stuck} />
      </td>
      <td>
        <RefundReason reason={refund.reason} />
      </td>
      <td className="money">{formatMoney(refund.amount)}</td>
      <td>{refund.attempts}</td>
      <td className="small">{refund.lastError ?? '—'}</td>
      <td className="nowrap">{formatDateTime(refund.createdAt)}</td>
      <td>
        <RetryRefund refund={refund} onDone={onDone} />
      </td>
    </tr>
  );
}

/**
 * Send a refund again: the operator confirms, with a reason the audit log keeps. One decision is one Idempotency-Key,
 * so a second click (or a lost answer asked again) is answered once, never paid twice.
 */
export function RetryRefund({ refund, onDone }: { refund: Pick<Refund, 'id' | 'amount'>; onDone: (answer: RetryAnswer) => void }) {
  const { t } = useTranslation();
  const retry = useRetryRefund();
  const [asking, setAsking] = useState(false);
  const [key, setKey] = useState(() => crypto.randomUUID());
  const confirm = (reason: string) =>
    retry.mutate(
      { refundId: refund.id, reason, key },
      {
        onSuccess: (answer) => {
          onDone(answer);
          setAsking(false);
          setKey(crypto.randomUUID());
        },
      },
    );
  return (
    <div className="retry-refund">
      {asking ? (
        <ReasonForm
          id={`retry-reason-${refund.id}`}
          label={t('console.money.refunds.reasonLabel')}
          hint={t('console.money.refunds.reasonHint')}
          error={retry.error}
          pending={retry.isPending}
          confirmLabel={retry.isPending ? t('console.money.refunds.sending') : t('console.money.refunds.confirm', { amount: formatMoney(refund.amount) })}
          backLabel={t('common.cancel')}
          ariaLabel={t('console.money.refunds.retry')}
          onConfirm={confirm}
          onBack={() => setAsking(false)}
        />
      ) : (
        <button type="button" onClick={() => setAsking(true)}>
          {t('console.money.refunds.retry')}
        </button>
      )}
      {retry.isError && !hasFieldErrors(retry.error) && <ActionError error={retry.error} />}
    </div>
  );
}

export function RetryOutcome({ answer }: { answer: RetryAnswer }) {
  const { t } = useTranslation();
  const good = answer.outcome === 'paid_out' || answer.outcome === 'already_paid_out';
  return (
    <p className={good ? 'retry-ok' : 'field-error'} role="status" data-testid="retry-outcome">
      {t(`console.money.refunds.outcome.${answer.outcome}`, { error: answer.refund.lastError ?? '' })}
    </p>
  );
}
