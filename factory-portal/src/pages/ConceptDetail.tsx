import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useConcept } from '../api/queries';
import type { Concept } from '../api/types';
import { Empty, QueryView } from '../components/StateViews';
import { useLanguage } from '../i18n';
import { formatDateTime, formatMoney, formatNumber, formatPercent } from '../lib/format';
import { PhaseBadge } from './Concepts';

const DIMENSIONS = ['performance', 'priceAcceptance', 'design', 'packaging'] as const;

/** A concept's page: the index with its band and n, the four dimension means, stated intent, comments, the gate and the launch. */
export function ConceptDetail() {
  const { id = '' } = useParams();
  const concept = useConcept(id);
  return <QueryView query={concept}>{(c) => <ConceptView concept={c} />}</QueryView>;
}

function ConceptView({ concept: c }: { concept: Concept }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  const score = (value: number | null) => (value === null ? '—' : value.toFixed(2));
  return (
    <>
      <p className="breadcrumb">
        <Link to="/concepts">{t('concepts.title')}</Link>
      </p>
      <h1>{c.title}</h1>
      <p className="card-meta">
        <PhaseBadge phase={c.phase} />
        <span>
          {t('concepts.trialWindow')} {t('concepts.windowOf', { from: formatDateTime(c.trialOpensAt), to: formatDateTime(c.trialClosesAt) })}
        </span>
      </p>
      {c.description && <p>{c.description}</p>}
      {c.rejectionReason && (
        <p className="notice" role="status">
          {t('concepts.rejected', { reason: c.rejectionReason })}
        </p>
      )}
      {c.launch && (
        <div className="notice" role="status" data-testid="concept-launch">
          <p>
            <strong>{t('concepts.launched')}</strong> {t('concepts.launchedAt', { time: formatDateTime(c.launch.at) })}
          </p>
          {c.launch.overrideReason && <p data-testid="concept-override">{t('concepts.override', { reason: c.launch.overrideReason })}</p>}
        </div>
      )}

      <dl className="kpis">
        <div className="kpi">
          <dt>{t('concepts.index')}</dt>
          <dd data-testid="concept-index">{c.index.value.toFixed(2)}</dd>
          <dd className="kpi-detail" data-testid="concept-band">
            {t('concepts.band', { low: c.index.low.toFixed(2), high: c.index.high.toFixed(2) })}
          </dd>
          <dd className="kpi-detail" data-testid="concept-ratings">
            {t('concepts.ratingsOf', { count: c.index.ratings })}
          </dd>
          <dd className="kpi-detail">{t('concepts.priorOf', { mean: c.index.platformMean.toFixed(2), weight: c.index.priorWeight })}</dd>
        </div>
        <div className="kpi">
          <dt>{t('concepts.gateStatus')}</dt>
          <dd data-testid="concept-gate">{c.gate.passes ? t('concepts.gatePasses') : t('concepts.gateFails')}</dd>
          <dd className="kpi-detail">{t('concepts.gateRule', { minIndex: c.gate.minIndex.toFixed(1), minRatings: c.gate.minRatings })}</dd>
        </div>
        <div className="kpi">
          <dt>{t('concepts.applications')}</dt>
          <dd>
            {number(c.applications.applied)} / {number(c.applications.picked)}
          </dd>
          <dd className="kpi-detail">
            {t('concepts.trialPlaces')} {number(c.trialPlaces)}
          </dd>
        </div>
      </dl>

      <section aria-labelledby="dimensions-heading">
        <h2 id="dimensions-heading">{t('concepts.dimensions')}</h2>
        {c.index.ratings === 0 ? (
          <Empty>{t('concepts.noRatings')}</Empty>
        ) : (
          <dl className="dimensions" data-testid="concept-dimensions">
            {DIMENSIONS.map((d) => (
              <div key={d} className="dimension">
                <dt>{t(`concepts.${d}`)}</dt>
                <dd>
                  <meter min={0} max={10} value={c.dimensions[d] ?? 0} aria-label={t(`concepts.${d}`)} />
                  <span className="dimension-value">{score(c.dimensions[d])}</span>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </section>

      <section aria-labelledby="intent-heading">
        <h2 id="intent-heading">{t('concepts.intent')}</h2>
        <p className="muted">{t('concepts.intentQuestion', { price: formatMoney(c.intent.price) })}</p>
        <dl className="figures" data-testid="concept-intent">
          <div>
            <dt>{t('concepts.intentYes')}</dt>
            <dd>{number(c.intent.yes)}</dd>
          </div>
          <div>
            <dt>{t('concepts.intentShare')}</dt>
            <dd>{formatPercent(c.intent.share === null ? null : Math.round(c.intent.share * 1000) / 10, language)}</dd>
          </div>
          <div>
            <dt>{t('concepts.intentUnits')}</dt>
            <dd>{number(c.intent.units)}</dd>
          </div>
        </dl>
      </section>

      <section aria-labelledby="comments-heading">
        <h2 id="comments-heading">{t('concepts.comments')}</h2>
        {c.comments.length === 0 ? (
          <Empty>{t('concepts.noComments')}</Empty>
        ) : (
          <ul className="comments" data-testid="concept-comments">
            {c.comments.map((comment, i) => (
              <li key={i}>
                <p>{comment.comment}</p>
                <p className="hint">{formatDateTime(comment.at)}</p>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="product-heading">
        <h2 id="product-heading">{t('concepts.product')}</h2>
        <dl className="figures">
          <div>
            <dt>{t('concepts.targetPrice')}</dt>
            <dd>{formatMoney(c.targetPrice)}</dd>
          </div>
          <div>
            <dt>{t('concepts.minimumRun')}</dt>
            <dd>{number(c.minimumRun)}</dd>
          </div>
        </dl>
        <p>
          {t('concepts.options')}: {c.options.map((o) => `${o.label?.zh ?? o.name}: ${o.values.map((v) => o.valueLabels?.[v]?.zh ?? v).join('、')}`).join('；')}
        </p>
        {c.photoUrls.length > 0 && (
          <div className="photos">
            {c.photoUrls.map((url) => (
              <img key={url} src={url} alt={c.title} loading="lazy" />
            ))}
          </div>
        )}
      </section>
    </>
  );
}
