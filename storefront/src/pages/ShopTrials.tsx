import { useEffect, useId, useState, type FormEvent } from 'react';
import { errorText } from '../api/errors';
import type { Trial, TrialList } from '../api/types';
import { Empty, ErrorView, Loading, Message } from '../components/ui';
import { useI18n } from '../i18n';
import { dateTime, yuan } from '../lib/format';
import { useResource } from '../lib/resource';
import { navigate } from '../router';
import { useSession } from '../session';

const DIMENSIONS = ['performance', 'priceAcceptance', 'design', 'packaging'] as const;
type Rating = NonNullable<Trial['rating']>;

/**
 * 新品试用与评分 (docs/selection.md): sample trials open to shop owners; apply for one, and once picked rate the
 * product on four dimensions (0–10), with a comment and whether one would pre-order at its target price.
 */
export default function ShopTrialsPage() {
  const { t } = useI18n();
  const { session, api } = useSession();
  useEffect(() => {
    if (!session) navigate('/signin?next=/shop/trials', { replace: true });
  }, [session]);
  const trials = useResource<TrialList>(session ? '/v1/concepts/trials' : null, (signal) => api('GET', '/v1/concepts/trials', { signal }));
  if (!session) return <Loading />;
  const list = trials.data;
  return (
    <div className="page">
      <h1>{t('trials.title')}</h1>
      <p className="hint">{t('trials.intro')}</p>
      {!list ? (
        trials.error ? (
          <ErrorView error={trials.error} retry={() => void trials.reload()} />
        ) : (
          <Loading />
        )
      ) : !list.shopOwner ? (
        <Message kind="info">{t('trials.notOwner')}</Message>
      ) : list.items.length === 0 ? (
        <Empty>{t('trials.empty')}</Empty>
      ) : (
        <ul className="list">
          {list.items.map((trial) => (
            <TrialCard
              key={trial.id}
              trial={trial}
              onChange={(changed) => trials.set({ ...list, items: list.items.map((x) => (x.id === changed.id ? changed : x)) })}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function TrialCard({ trial, onChange }: { trial: Trial; onChange(trial: Trial): void }) {
  const { t, language } = useI18n();
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = trial.phase === 'trial_open';

  async function apply() {
    setBusy(true);
    setError(null);
    try {
      onChange(await api<Trial>('POST', `/v1/concepts/${trial.id}/trial-applications`));
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="card" data-testid="trial" data-concept-id={trial.id}>
      {trial.photoUrls[0] && <img className="trial-photo" src={trial.photoUrls[0]} alt="" loading="lazy" />}
      <span className="card-title">{trial.title}</span>
      <span className="card-meta">
        {t('trials.factory', { name: trial.factoryName })} · {t('trials.targetPrice', { price: yuan(trial.targetPrice) })} ·{' '}
        {t('trials.places', { n: trial.trialPlaces })} · {t('trials.closes', { time: dateTime(trial.trialClosesAt, language) })}
      </span>
      {trial.description && <p>{trial.description}</p>}
      {!trial.application ? (
        open && (
          <button type="button" className="button primary wide" disabled={busy} onClick={() => void apply()} data-testid="trial-apply">
            {t('trials.apply')}
          </button>
        )
      ) : trial.application.status === 'applied' ? (
        <Message kind="info">{open ? t('trials.applied') : t('trials.notPicked')}</Message>
      ) : open ? (
        <>
          <Message kind="info">{t('trials.picked')}</Message>
          <RatingForm trial={trial} onRated={onChange} />
        </>
      ) : (
        trial.rating && <RatingSummary rating={trial.rating} />
      )}
      {!open && trial.application && <p className="hint">{t('trials.closed')}</p>}
      {error && <Message kind="error">{error}</Message>}
    </li>
  );
}

function RatingSummary({ rating }: { rating: Rating }) {
  const { t } = useI18n();
  return (
    <p data-testid="trial-rating">
      {t('trials.yourRating', { performance: rating.performance, priceAcceptance: rating.priceAcceptance, design: rating.design, packaging: rating.packaging })}
      <br />
      {t('trials.yourIntent', { intent: rating.wouldPreorder ? t('trials.intentYes', { units: rating.preorderUnits }) : t('trials.intentNo') })}
    </p>
  );
}

function RatingForm({ trial, onRated }: { trial: Trial; onRated(trial: Trial): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const id = useId();
  const previous = trial.rating;
  const [scores, setScores] = useState(() => Object.fromEntries(DIMENSIONS.map((d) => [d, previous?.[d] ?? 5])) as Record<(typeof DIMENSIONS)[number], number>);
  const [comment, setComment] = useState(previous?.comment ?? '');
  const [wouldPreorder, setWouldPreorder] = useState(previous?.wouldPreorder ?? false);
  const [units, setUnits] = useState(String(previous?.preorderUnits || 1));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const body = { ...scores, comment: comment.trim(), wouldPreorder, preorderUnits: wouldPreorder ? Number(units) : 0 };
      onRated(await api<Trial>('PUT', `/v1/concepts/${trial.id}/my-rating`, { body }));
      setMessage({ kind: 'success', text: t('trials.saved') });
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e, t) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate data-testid="rating-form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="section-title">
        {t('trials.rate')}
      </h2>
      <p className="hint">{t('trials.scoreHint')}</p>
      {DIMENSIONS.map((d) => (
        <label key={d} className="field" htmlFor={`${id}-${d}`}>
          <span>{t(`trials.${d}`)}</span>
          <select id={`${id}-${d}`} name={d} value={scores[d]} onChange={(e) => setScores({ ...scores, [d]: Number(e.target.value) })}>
            {Array.from({ length: 11 }, (_, score) => (
              <option key={score} value={score}>
                {score}
              </option>
            ))}
          </select>
        </label>
      ))}
      <label className="field" htmlFor={`${id}-comment`}>
        <span>{t('trials.comment')}</span>
        <textarea id={`${id}-comment`} name="comment" rows={3} maxLength={1000} value={comment} onChange={(e) => setComment(e.target.value)} />
      </label>
      <fieldset className="field">
        <legend>{t('trials.intent', { price: yuan(trial.targetPrice) })}</legend>
        <label className="choice">
          <input type="radio" name={`${id}-intent`} checked={wouldPreorder} onChange={() => setWouldPreorder(true)} /> {t('trials.yes')}
        </label>
        <label className="choice">
          <input type="radio" name={`${id}-intent`} checked={!wouldPreorder} onChange={() => setWouldPreorder(false)} /> {t('trials.no')}
        </label>
      </fieldset>
      {wouldPreorder && (
        <label className="field" htmlFor={`${id}-units`}>
          <span>{t('trials.units')}</span>
          <input
            id={`${id}-units`}
            name="preorderUnits"
            type="number"
            inputMode="numeric"
            min={1}
            max={10000}
            value={units}
            onChange={(e) => setUnits(e.target.value)}
          />
        </label>
      )}
      {message && <Message kind={message.kind}>{message.text}</Message>}
      <button type="submit" className="button primary wide" disabled={busy} data-testid="rating-submit">
        {previous ? t('trials.update') : t('trials.submit')}
      </button>
    </form>
  );
}
