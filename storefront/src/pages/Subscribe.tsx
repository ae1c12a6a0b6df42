import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, newIdempotencyKey } from '../api/client';
import { errorText } from '../api/errors';
import type { Fruit, Plan, Subscription } from '../api/types';
import { ErrorView, Loading, Message } from '../components/ui';
import { useI18n, type Key } from '../i18n';
import { addDays, todayInChina, yuan } from '../lib/format';
import { fruitEmoji, planName } from '../lib/labels';
import { forget, useResource } from '../lib/resource';
import { sendBinding } from '../lib/share-links';
import { navigate } from '../router';
import { useSession } from '../session';

/** The delivery regions the service knows (src/subscriptions/deliveries.ts REGIONS), nearest first. */
export const REGIONS = [
  'shanghai',
  'hangzhou',
  'nanjing',
  'suzhou',
  'beijing',
  'tianjin',
  'guangzhou',
  'shenzhen',
  'chengdu',
  'chongqing',
  'wuhan',
  'xian',
  'kunming',
  'harbin',
  'urumqi',
] as const;

export default function SubscribePage({ planId }: { planId: string }) {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  const id = useId();
  const plans = useResource<Plan[]>('home:plans', async (signal) => (await api<{ items: Plan[] }>('GET', '/v1/subscription-plans', { signal })).items);
  const fruits = useResource<Fruit[]>('fruits', async (signal) => (await api<{ items: Fruit[] }>('GET', '/v1/fruits', { signal })).items);
  // The frequency is a choice between the plans of the same size (weekly or fortnightly), made here.
  const [chosenId, setChosenId] = useState(planId);
  const plan = plans.data?.find((p) => p.id === chosenId);
  const siblings = plan
    ? (plans.data ?? []).filter((p) => p.maxHousehold === plan.maxHousehold && p.portionsPerPersonPerDay === plan.portionsPerPersonPerDay)
    : [];
  const [household, setHousehold] = useState(2);
  const [weekday, setWeekday] = useState(6);
  const [region, setRegion] = useState<string>('shanghai');
  const [start, setStart] = useState(() => addDays(todayInChina(), 1));
  const [exclusions, setExclusions] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const attempt = useRef<{ key: string; body: string } | null>(null);

  useEffect(() => {
    if (!session) navigate(`/signin?next=${encodeURIComponent(`/plans/${planId}/subscribe`)}`, { replace: true });
  }, [session, planId]);
  useEffect(() => {
    if (plan && household > plan.maxHousehold) setHousehold(plan.maxHousehold);
  }, [plan, household]);

  if (!session) return <Loading />;
  if (!plan)
    return plans.error ? (
      <ErrorView error={plans.error} retry={() => void plans.reload()} />
    ) : plans.data ? (
      <ErrorView error={new ApiError(404, 'not_found', '')} />
    ) : (
      <Loading />
    );

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const body = { planId: plan!.id, startDate: start, deliveryWeekday: weekday, region, householdSize: household, exclusions };
    const signature = JSON.stringify(body);
    if (attempt.current?.body !== signature) attempt.current = { key: newIdempotencyKey(), body: signature };
    try {
      // Arrived on a shop owner's link: their binding first, so that this subscription is attributed to them.
      await sendBinding(api);
      const created = await api<Subscription>('POST', '/v1/subscriptions', { body, idempotencyKey: attempt.current.key });
      attempt.current = null;
      forget('/v1/me/');
      navigate(`/subscriptions/${created.id}`, { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const active = fruits.data?.filter((f) => f.active) ?? [];
  return (
    <section className="page">
      <h1>{t('subscribe.title', { plan: planName(plan, language) })}</h1>
      <p className="hint">
        <span className="price">{yuan(plan.price)}</span> {t(plan.period === 'weekly' ? 'plans.perWeek' : 'plans.perFortnight')}
      </p>
      <form className="card" onSubmit={(e) => void submit(e)}>
        {siblings.length > 1 && (
          <fieldset className="option">
            <legend>{t('subscribe.frequency')}</legend>
            <div className="chips">
              {siblings.map((p) => (
                <label key={p.id} className={p.id === plan.id ? 'chip selected' : 'chip'}>
                  <input type="radio" name={`${id}-frequency`} value={p.id} checked={p.id === plan.id} onChange={() => setChosenId(p.id)} />
                  {t(p.period === 'weekly' ? 'plans.perWeek' : 'plans.perFortnight')} · {yuan(p.price)}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <label className="field" htmlFor={`${id}-household`}>
          <span>{t('subscribe.household')}</span>
          <select id={`${id}-household`} value={household} onChange={(e) => setHousehold(Number(e.target.value))}>
            {Array.from({ length: plan.maxHousehold }, (_, i) => i + 1).map((n) => (
              <option key={n} value={n}>
                {t('subscribe.people', { n })}
              </option>
            ))}
          </select>
        </label>
        <label className="field" htmlFor={`${id}-weekday`}>
          <span>{t('subscribe.weekday')}</span>
          <select id={`${id}-weekday`} value={weekday} onChange={(e) => setWeekday(Number(e.target.value))}>
            {[1, 2, 3, 4, 5, 6, 7].map((d) => (
              <option key={d} value={d}>
                {t(`weekday.${d}` as Key)}
              </option>
            ))}
          </select>
        </label>
        <label className="field" htmlFor={`${id}-region`}>
          <span>{t('subscribe.region')}</span>
          <select id={`${id}-region`} value={region} onChange={(e) => setRegion(e.target.value)}>
            {REGIONS.map((r) => (
              <option key={r} value={r}>
                {t(`region.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field" htmlFor={`${id}-start`}>
          <span>{t('subscribe.start')}</span>
          <input
            id={`${id}-start`}
            type="date"
            value={start}
            min={todayInChina()}
            max={addDays(todayInChina(), 365)}
            onChange={(e) => setStart(e.target.value)}
          />
        </label>
        <fieldset className="check-grid">
          <legend>{t('subscribe.exclusions')}</legend>
          {active.map((f) => (
            <label key={f.id} className="check">
              <input
                type="checkbox"
                checked={exclusions.includes(f.id)}
                onChange={(e) => setExclusions((list) => (e.target.checked ? [...list, f.id] : list.filter((x) => x !== f.id)))}
              />
              <span aria-hidden="true">{fruitEmoji(f.id)}</span> {language === 'zh' ? f.nameZh : f.nameEn}
            </label>
          ))}
        </fieldset>
        <p className="hint">{t('subscribe.exclusionsHint')}</p>
        <Message kind="info">{t('subscribe.cutoffRule')}</Message>
        {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
        <button type="submit" className="button primary wide" disabled={busy} aria-busy={busy}>
          {busy ? t('subscribe.submitting') : t('subscribe.submit', { price: yuan(plan.price) })}
        </button>
      </form>
    </section>
  );
}
