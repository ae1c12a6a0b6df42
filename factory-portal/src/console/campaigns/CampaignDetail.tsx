import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { CampaignStatusBadge } from '../../components/Badges';
import { ActionError, Empty, QueryView } from '../../components/StateViews';
import { TierProgress } from '../../components/TierProgress';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatMoney, formatNumber } from '../../lib/format';
import { depositsPaid } from './form';
import { type OperatorCampaign, useCampaign, useCampaignAction, useFactories } from './queries';
import { TimeLeft } from './TimeLeft';
import { Warnings } from './Warnings';
import './campaigns.css';

/** A campaign's page: its terms, live progress (refreshed every few seconds), a draft's warnings, and what an operator can do to it. */
export function CampaignDetail() {
  const { id = '' } = useParams();
  const campaign = useCampaign(id);
  return <QueryView query={campaign}>{(c) => <Detail campaign={c} />}</QueryView>;
}

/** A variant key ("colour=black;size=M") in the campaign's labels: "黑色 / M". */
function variantText(campaign: OperatorCampaign, key: string, language: 'zh' | 'en'): string {
  return key
    .split(';')
    .map((pair) => {
      const [name, raw = ''] = pair.split('=');
      const value = decodeURIComponent(raw);
      const option = campaign.options.find((o) => o.name === name);
      return option?.valueLabels[value]?.[language] ?? value;
    })
    .join(' / ');
}

function Detail({ campaign: c }: { campaign: OperatorCampaign }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const factories = useFactories();
  const number = (value: number) => formatNumber(value, language);
  const d = 'console.campaigns.detail';
  const factory = factories.data?.items.find((f) => f.id === c.factoryId);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/console/campaigns">{t(`${d}.back`)}</Link>
      </p>
      <h1>{c.title}</h1>
      <p className="card-meta">
        <span data-testid="campaign-status">
          <CampaignStatusBadge status={c.status} />
        </span>
        <span>{c.productName}</span>
        <span>
          <TimeLeft campaign={c} />
        </span>
      </p>
      {c.status === 'cancelled' && c.cancelReason && (
        <p className="notice" data-testid="cancel-reason">
          {t(`${d}.cancelReason`)}：{c.cancelReason}
        </p>
      )}

      <Actions campaign={c} />
      {c.warnings && <Warnings warnings={c.warnings} />}

      <div className="two-columns">
        <section aria-labelledby="progress-heading">
          <h2 id="progress-heading">{t(`${d}.progress`)}</h2>
          <dl className="figures" data-testid="campaign-figures">
            <div>
              <dt>{t(`${d}.paidUnits`)}</dt>
              <dd>{number(c.progress.paidUnits)}</dd>
            </div>
            <div>
              <dt>{t(`${d}.reservedUnits`)}</dt>
              <dd>{number(c.progress.reservedUnits)}</dd>
            </div>
            <div>
              <dt>{t(`${d}.pledgers`)}</dt>
              <dd>{number(c.progress.pledgers)}</dd>
            </div>
            <div>
              <dt>{t(`${d}.depositsPaid`)}</dt>
              <dd>{formatMoney(depositsPaid(c.progress.paidUnits, c.depositPerUnit))}</dd>
            </div>
            <div>
              <dt>{t(`${d}.remaining`)}</dt>
              <dd>{c.progress.remainingUnits === null ? t(`${d}.none`) : number(c.progress.remainingUnits)}</dd>
            </div>
            <div>
              <dt>{t(`${d}.timeLeft`)}</dt>
              <dd>
                <TimeLeft campaign={c} />
              </dd>
            </div>
          </dl>
          <TierProgress campaign={c} />
          <h3 id="variants-heading">{t(`${d}.variants`)}</h3>
          {c.progress.variants.length === 0 ? (
            <Empty>{t(`${d}.noPledges`)}</Empty>
          ) : (
            <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="variants-heading">
              <table data-testid="campaign-variants">
                <thead>
                  <tr>
                    <th scope="col">{t(`${d}.variant`)}</th>
                    <th scope="col" className="num">
                      {t(`${d}.paidUnits`)}
                    </th>
                    <th scope="col" className="num">
                      {t(`${d}.reservedUnits`)}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {c.progress.variants.map((v) => (
                    <tr key={v.variant}>
                      <th scope="row">{variantText(c, v.variant, language)}</th>
                      <td className="num">{number(v.paidUnits)}</td>
                      <td className="num">{number(v.reservedUnits)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {c.droppedVariants.length > 0 && (
            <p className="notice">
              {t(`${d}.droppedVariants`)}：{c.droppedVariants.map((v) => variantText(c, v, language)).join('、')}
            </p>
          )}
        </section>

        <section aria-labelledby="terms-heading">
          <h2 id="terms-heading">{t(`${d}.terms`)}</h2>
          <dl className="terms">
            <dt>{t(`${d}.factory`)}</dt>
            <dd>{factory?.name ?? c.factoryId}</dd>
            <dt>{t(`${d}.product`)}</dt>
            <dd>{c.productName}</dd>
            <dt>{t(`${d}.options`)}</dt>
            <dd>
              {c.options.map((o) => (
                <div key={o.name}>
                  {o.label[language]}：{o.values.map((v) => o.valueLabels[v][language]).join(' · ')}
                </div>
              ))}
            </dd>
            <dt>{t(`${d}.referencePrice`)}</dt>
            <dd>{formatMoney(c.referencePrice)}</dd>
            <dt>{t(`${d}.deposit`)}</dt>
            <dd>{formatMoney(c.depositPerUnit)}</dd>
            <dt>{t(`${d}.credit`)}</dt>
            <dd>{c.depositCreditRate}×</dd>
            {c.finalUnitPrice && (
              <>
                <dt>{t(`${d}.finalUnitPrice`)}</dt>
                <dd>{formatMoney(c.finalUnitPrice)}</dd>
              </>
            )}
            <dt>{t(`${d}.window`)}</dt>
            <dd>
              {formatDateTime(c.opensAt)} – {formatDateTime(c.closesAt)}
            </dd>
            <dt>{t(`${d}.balanceWindow`)}</dt>
            <dd>{t(`${d}.balanceHours`, { hours: number(c.balanceWindowHours) })}</dd>
            {c.balanceDueAt && (
              <>
                <dt>{t(`${d}.balanceDueAt`)}</dt>
                <dd>{formatDateTime(c.balanceDueAt)}</dd>
              </>
            )}
            <dt>{t(`${d}.shipDate`)}</dt>
            <dd>{c.expectedShipDate}</dd>
            <dt>{t(`${d}.perConsumer`)}</dt>
            <dd>{c.perConsumerLimit === null ? t(`${d}.none`) : number(c.perConsumerLimit)}</dd>
            <dt>{t(`${d}.variantMinimum`)}</dt>
            <dd>{c.variantMinUnits === null ? t(`${d}.none`) : number(c.variantMinUnits)}</dd>
          </dl>
        </section>
      </div>
    </>
  );
}

type Pending = 'publish' | 'close' | 'cancel' | null;
const MIN_REASON = 4;

/** What an operator can do to the campaign in its state, each after a confirmation (a cancel also asks why). */
function Actions({ campaign: c }: { campaign: OperatorCampaign }) {
  const { t } = useTranslation();
  const action = useCampaignAction(c.id);
  const [pending, setPending] = useState<Pending>(null);
  const [reason, setReason] = useState('');
  // One key per cancel the operator confirms: a retry of the same request is the same cancel.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [done, setDone] = useState<Exclude<Pending, null> | null>(null);
  const a = 'console.campaigns.actions';
  const undecided = c.status === 'scheduled' || c.status === 'open';
  const cancellable = c.status !== 'failed' && c.status !== 'cancelled' && c.status !== 'completed';
  if (c.status !== 'draft' && !undecided && !cancellable && !done) return null;

  const ask = (what: Exclude<Pending, null>) => {
    action.reset();
    setDone(null);
    setPending(what);
  };
  const confirm = () => {
    if (!pending) return;
    const what = pending;
    const onSuccess = () => {
      setPending(null);
      setDone(what);
      setReason('');
      setKey(crypto.randomUUID());
    };
    if (what === 'cancel') action.mutate({ kind: 'cancel', reason: reason.trim(), key }, { onSuccess });
    else action.mutate({ kind: what }, { onSuccess });
  };
  const question =
    pending === 'publish'
      ? c.warnings && c.warnings.length > 0
        ? `${t(`${a}.publishConfirm`)} ${t(`${a}.publishWithWarnings`, { count: c.warnings.length })}`
        : t(`${a}.publishConfirm`)
      : pending === 'close'
        ? t(`${a}.closeConfirm`)
        : t(`${a}.cancelConfirm`);

  return (
    <section aria-labelledby="actions-heading" className="campaign-actions">
      <h2 id="actions-heading" className="visually-hidden">
        {t(`${a}.title`)}
      </h2>
      {done && (
        <p className="notice" role="status">
          {t(`${a}.done.${done}`)}
        </p>
      )}
      {pending === null ? (
        <div className="actions">
          {c.status === 'draft' && (
            <>
              <Link className="button" to={`/console/campaigns/${c.id}/edit`}>
                {t('console.campaigns.detail.edit')}
              </Link>
              <button type="button" className="primary" onClick={() => ask('publish')}>
                {t(`${a}.publish`)}
              </button>
            </>
          )}
          {undecided && (
            <button type="button" onClick={() => ask('close')}>
              {t(`${a}.close`)}
            </button>
          )}
          {cancellable && (
            <button type="button" className="danger" onClick={() => ask('cancel')}>
              {t(`${a}.cancel`)}
            </button>
          )}
        </div>
      ) : (
        <div role="alertdialog" aria-labelledby="confirm-question" className="card confirm" data-testid="confirm">
          <p id="confirm-question">{question}</p>
          {pending === 'cancel' && (
            <div className="field">
              <label htmlFor="cancel-reason">{t(`${a}.reason`)}</label>
              <textarea id="cancel-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
              <p className="hint">{t(`${a}.reasonHint`)}</p>
            </div>
          )}
          {action.isError && <ActionError error={action.error} />}
          <div className="form-actions">
            <button
              type="button"
              className={pending === 'cancel' ? 'danger' : 'primary'}
              disabled={action.isPending || (pending === 'cancel' && reason.trim().length < MIN_REASON)}
              onClick={confirm}
            >
              {pending === 'publish' ? t(`${a}.publish`) : pending === 'close' ? t(`${a}.close`) : t(`${a}.cancel`)}
              {' · '}
              {t(`${a}.confirm`)}
            </button>
            <button type="button" onClick={() => setPending(null)}>
              {t(`${a}.back`)}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
