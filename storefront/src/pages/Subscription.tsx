import { useId, useRef, useState } from 'react';
import { ApiError, newIdempotencyKey } from '../api/client';
import { errorText } from '../api/errors';
import type { Delivery, Fruit, Schedule } from '../api/types';
import { Confirm, Empty, ErrorView, Loading, Message } from '../components/ui';
import { useI18n, type Key, type Translate } from '../i18n';
import { addDays, countdown, dateTime, day, todayInChina, yuan } from '../lib/format';
import { fruitEmoji, fruitName, planName } from '../lib/labels';
import { forget, useNow, useResource } from '../lib/resource';
import { Link } from '../router';
import { useSession } from '../session';

type Action = { kind: 'skip'; delivery: Delivery } | { kind: 'pause' } | { kind: 'resume' } | { kind: 'cancel' };

/** A subscription: its coming boxes (ship date, cutoff countdown, contents), the day-by-day calendar, and skip / pause / resume / cancel. */
export default function SubscriptionPage({ id }: { id: string }) {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  const now = useNow();
  const formId = useId();
  const schedule = useResource<Schedule>(
    session ? `/v1/subscriptions/${id}/schedule` : null,
    (signal) => api('GET', `/v1/subscriptions/${encodeURIComponent(id)}/schedule`, { signal }),
    { refreshMs: 60_000 },
  );
  const fruits = useResource<Map<string, Fruit>>(
    'fruits:map',
    async (signal) => new Map((await api<{ items: Fruit[] }>('GET', '/v1/fruits', { signal })).items.map((f) => [f.id, f])),
  );
  const [action, setAction] = useState<Action | null>(null);
  const [pauseUntil, setPauseUntil] = useState(() => addDays(todayInChina(), 28));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const keys = useRef<Record<string, string>>({});

  if (!session) {
    return (
      <section className="page narrow">
        <h1>{t('subscription.title')}</h1>
        <Link to={`/signin?next=${encodeURIComponent(`/subscriptions/${id}`)}`}>{t('common.signInFirst')}</Link>
      </section>
    );
  }
  const s = schedule.data;
  if (!s) return schedule.error ? <ErrorView error={schedule.error} retry={() => void schedule.reload()} /> : <Loading />;
  const sub = s.subscription;
  const cancelled = sub.status === 'cancelled';
  const name = (fruitId: string) => fruitName(fruits.data, fruitId, language);
  const withBox = s.deliveries.filter((d) => d.box);
  const calendarFor = withBox.find((d) => d.deliveryDate === shown) ?? withBox[0];

  async function run(a: Action) {
    if (busy) return;
    setBusy(true);
    setError(null);
    const keyName = a.kind === 'skip' ? `skip:${a.delivery.deliveryDate}` : a.kind === 'pause' ? `pause:${pauseUntil}` : a.kind;
    const key = (keys.current[keyName] ??= newIdempotencyKey());
    try {
      const path = `/v1/subscriptions/${encodeURIComponent(id)}/${a.kind}`;
      const body = a.kind === 'skip' ? { deliveryDate: a.delivery.deliveryDate } : a.kind === 'pause' ? { until: pauseUntil } : undefined;
      await api('POST', path, { body, idempotencyKey: key });
      delete keys.current[keyName];
      setDone(a.kind === 'skip' ? t('subscription.skipped', { date: day(a.delivery.deliveryDate, language) }) : t('subscription.done'));
      forget('/v1/me/');
      await schedule.reload();
    } catch (e) {
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) delete keys.current[keyName];
      setError(e);
    } finally {
      setBusy(false);
      setAction(null);
    }
  }

  const canSkip = (d: Delivery) => !cancelled && ['planned', 'preview', 'unfillable'].includes(d.status) && new Date(d.cutoffAt).getTime() > now;
  return (
    <section className="page" data-subscription-id={sub.id}>
      <h1>{t('subscription.title')}</h1>
      <div className="card">
        <p className="card-title">
          {planName(s.plan, language)} · {yuan(s.plan.price)}
        </p>
        <p className="card-meta" data-testid="subscription-status">
          {t(`subscriptionStatus.${(sub.status === 'paused' || cancelled ? sub.status : 'active') as 'active'}`)}
          {sub.status === 'paused' && sub.pausedUntil ? ` · ${t('subscription.pausedUntil', { date: day(sub.pausedUntil, language) })}` : ''}
        </p>
        <p className="card-meta">
          {t('subscription.summary', {
            plan: planName(s.plan, language),
            n: sub.householdSize,
            weekday: t(`weekday.${sub.deliveryWeekday}` as Key),
            region: regionName(sub.region, t),
          })}
        </p>
        {sub.exclusions.length > 0 && <p className="card-meta">{t('subscription.exclusions', { list: sub.exclusions.map(name).join('、') })}</p>}
        {done && <Message kind="success">{done}</Message>}
        {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
        {!cancelled && (
          <>
            <p className="hint">{t('subscribe.cutoffRule')}</p>
            <div className="actions">
              {sub.status === 'paused' ? (
                <button type="button" className="button secondary" onClick={() => setAction({ kind: 'resume' })}>
                  {t('subscription.resume')}
                </button>
              ) : (
                <button type="button" className="button secondary" onClick={() => setAction({ kind: 'pause' })}>
                  {t('subscription.pause')}
                </button>
              )}
              <button type="button" className="button danger" onClick={() => setAction({ kind: 'cancel' })}>
                {t('subscription.cancel')}
              </button>
            </div>
          </>
        )}
      </div>

      <h2 className="section-title">{t('subscription.coming')}</h2>
      {s.deliveries.length === 0 ? (
        <Empty>{t('subscription.noBoxes')}</Empty>
      ) : (
        <ul className="list">
          {s.deliveries.map((d) => (
            <li key={d.deliveryDate} className="card" data-testid="delivery" data-delivery-date={d.deliveryDate}>
              <p className="card-title">
                {t('subscription.delivery', { date: day(d.deliveryDate, language) })} ·{' '}
                <span data-testid="box-status">{t(`boxStatus.${d.status as 'planned'}`)}</span>
              </p>
              <p className="card-meta">
                {t('subscription.ship', { date: day(d.shipDate, language) })} ·{' '}
                {new Date(d.cutoffAt).getTime() > now
                  ? t('subscription.cutoff', { time: dateTime(d.cutoffAt, language), left: countdown(d.cutoffAt, now, language) })
                  : t('subscription.cutoffPassed')}
              </p>
              {d.box ? (
                <>
                  <p className="cal-label">
                    {t('subscription.contents')} · {t('subscription.price', { price: yuan(d.box.price) })}
                  </p>
                  <ul className="fruits">
                    {d.box.items.map((item) => (
                      <li key={item.fruitId}>
                        <span aria-hidden="true">{fruitEmoji(item.fruitId)}</span> {name(item.fruitId)} ×{' '}
                        {fruits.data?.get(item.fruitId)?.unit === 'kg'
                          ? t('subscription.unitsKg', { n: item.units })
                          : t('subscription.units', { n: item.units })}
                      </li>
                    ))}
                  </ul>
                  {calendarFor?.deliveryDate !== d.deliveryDate && (
                    <button type="button" className="link-button" onClick={() => setShown(d.deliveryDate)}>
                      {t('subscription.calendar')}
                    </button>
                  )}
                </>
              ) : (
                d.status !== 'skipped' && d.status !== 'paused' && <p className="hint">{t('subscription.notPlanned')}</p>
              )}
              {canSkip(d) && (
                <button type="button" className="button secondary" onClick={() => setAction({ kind: 'skip', delivery: d })}>
                  {t('subscription.skip')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}

      {calendarFor && <Calendar delivery={calendarFor} periodDays={s.plan.periodDays} name={name} />}

      <Confirm
        open={action?.kind === 'skip'}
        onClose={() => setAction(null)}
        onConfirm={() => action && void run(action)}
        busy={busy}
        title={action?.kind === 'skip' ? t('subscription.skipTitle', { date: day(action.delivery.deliveryDate, language) }) : ''}
        confirm={t('subscription.skipConfirm')}
        body={action?.kind === 'skip' && <p>{t('subscription.skipBody', { time: dateTime(action.delivery.cutoffAt, language) })}</p>}
      />
      <Confirm
        open={action?.kind === 'pause'}
        onClose={() => setAction(null)}
        onConfirm={() => action && void run(action)}
        busy={busy}
        title={t('subscription.pauseTitle')}
        confirm={t('subscription.pauseConfirm')}
        body={
          <>
            <label className="field" htmlFor={`${formId}-until`}>
              <span>{t('subscription.pauseUntil')}</span>
              <input
                id={`${formId}-until`}
                type="date"
                value={pauseUntil}
                min={addDays(todayInChina(), 1)}
                max={addDays(todayInChina(), 365)}
                onChange={(e) => setPauseUntil(e.target.value)}
              />
            </label>
            <p>{t('subscription.pauseBody', { date: day(pauseUntil, language) })}</p>
          </>
        }
      />
      <Confirm
        open={action?.kind === 'resume'}
        onClose={() => setAction(null)}
        onConfirm={() => action && void run(action)}
        busy={busy}
        title={t('subscription.resumeTitle')}
        confirm={t('subscription.resumeConfirm')}
        body={<p>{t('subscription.resumeBody')}</p>}
      />
      <Confirm
        open={action?.kind === 'cancel'}
        onClose={() => setAction(null)}
        onConfirm={() => action && void run(action)}
        busy={busy}
        danger
        title={t('subscription.cancelTitle')}
        confirm={t('subscription.cancelConfirm')}
        body={<p>{t('subscription.cancelBody')}</p>}
      />
    </section>
  );
}

function regionName(region: string, t: Translate): string {
  const text = t(`region.${region}` as Key);
  return text === `region.${region}` ? region : text;
}

/**
 * The "ready to eat" calendar of one box: every day of its period, with the fruit to eat, what else is
 * ready, what is still ripening, or — where the box cannot cover a day — why, named.
 */
function Calendar({ delivery, periodDays, name }: { delivery: Delivery; periodDays: number; name(id: string): string }) {
  const { t, language } = useI18n();
  const box = delivery.box!;
  const days = Array.from({ length: periodDays }, (_, i) => addDays(delivery.deliveryDate, i));
  const list = (fruits: { fruitId: string; portions: number }[]) =>
    fruits.map((f) => `${fruitEmoji(f.fruitId)} ${name(f.fruitId)} ${t('subscription.portions', { n: f.portions })}`).join('，');
  return (
    <section className="card" aria-labelledby="calendar-title" data-testid="calendar">
      <h2 id="calendar-title">{t('subscription.calendar')}</h2>
      <p className="hint">{t('subscription.calendarIntro', { date: day(delivery.deliveryDate, language) })}</p>
      <ol className="calendar">
        {days.map((date) => {
          const ready = box.readyToEat.find((r) => r.date === date);
          const gap = box.uncoveredDays.find((u) => u.date === date);
          const ripening = box.items.filter((item) => item.edibleFrom > date);
          return (
            <li key={date} className="cal-day" data-testid="calendar-day" data-date={date}>
              <span className="cal-date">{day(date, language)}</span>
              <div>
                {ready && ready.fruits.length > 0 && (
                  <p className="cal-line">
                    <span className="cal-label">{t('subscription.eat')}</span>
                    {list(ready.fruits)}
                  </p>
                )}
                {ready?.extras && ready.extras.length > 0 && (
                  <p className="cal-line">
                    <span className="cal-label">{t('subscription.extra')}</span>
                    {list(ready.extras)}
                  </p>
                )}
                {(gap || !ready || ready.fruits.length === 0) && (
                  <p className="cal-line cal-gap" data-testid="calendar-gap">
                    {t('subscription.gap', {
                      reason: t(
                        `subscription.gapReason.${(gap && ['nothing_ready', 'budget', 'supply'].includes(gap.reason) ? gap.reason : 'nothing_ready') as 'budget'}`,
                      ),
                    })}
                  </p>
                )}
                {ripening.length > 0 && (
                  <p className="cal-line">
                    <span className="cal-label">{t('subscription.ripening')}</span>
                    {ripening
                      .map((item) =>
                        t('subscription.ripeningItem', { fruit: `${fruitEmoji(item.fruitId)} ${name(item.fruitId)}`, date: day(item.edibleFrom, language) }),
                      )
                      .join('，')}
                  </p>
                )}
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
