import { useEffect } from 'react';
import type { Notification, Page, Plan, Pledge, ShopApplication, ShopBinding, Subscription } from '../api/types';
import { ShopApply } from '../components/ShopApply';
import { PhoneConsents } from '../components/ShopConsent';
import { Empty, ErrorView, Loading } from '../components/ui';
import { useI18n } from '../i18n';
import { dateTime, day } from '../lib/format';
import { planName, variantText } from '../lib/labels';
import { pledgeDetail, useCampaignsOf } from '../lib/pledge';
import { SHOP_BOUND_EVENT } from '../lib/share-links';
import { useNow, useResource } from '../lib/resource';
import { Link, navigate } from '../router';
import { useSession } from '../session';

/** My orders, my fruit boxes and my messages. */
export default function MePage() {
  const { t } = useI18n();
  const { session, signOut } = useSession();
  useEffect(() => {
    if (!session) navigate('/signin?next=/me', { replace: true });
  }, [session]);
  if (!session) return <Loading />;
  return (
    <div className="page">
      <h1>{t('me.title')}</h1>
      <p className="hint">
        {t('me.account', { name: session.user.phone ?? session.user.email ?? session.user.displayName })}{' '}
        <button type="button" className="link-button" onClick={() => void signOut().then(() => navigate('/'))}>
          {t('signIn.signOut')}
        </button>
      </p>
      <MyShop />
      <Orders />
      <Boxes />
      <Notifications />
    </div>
  );
}

/** 我的店主: the shop owner this buyer is bound to (nothing if none); a shop owner sees the way to their 店主中心 instead. */
function MyShop() {
  const { t, language } = useI18n();
  const { api } = useSession();
  const binding = useResource<{ binding: ShopBinding | null }>('/v1/me/shop-binding', (signal) => api('GET', '/v1/me/shop-binding', { signal }));
  const mine = useResource<{ application: ShopApplication | null }>('/v1/me/shop', (signal) => api('GET', '/v1/me/shop', { signal }));
  const reload = binding.reload;
  useEffect(() => {
    const onBound = () => void reload();
    window.addEventListener(SHOP_BOUND_EVENT, onBound);
    return () => window.removeEventListener(SHOP_BOUND_EVENT, onBound);
  }, [reload]);
  if (mine.data?.application?.status === 'approved')
    return (
      <section aria-labelledby="my-shop-title">
        <h2 id="my-shop-title" className="section-title">
          {t('me.shopCenter')}
        </h2>
        <Link to="/shop" className="card" data-testid="shop-center-link">
          <span className="card-title">{t('me.shopCenter')}</span>
          <span className="card-meta">{t('me.shopCenterHint')}</span>
        </Link>
      </section>
    );
  // Anyone who is not a shop owner may apply (or sees their application waiting, or why it was refused).
  const apply = mine.data ? <ShopApply application={mine.data.application} onApplied={(application) => mine.set({ application })} /> : null;
  // Shown only to a buyer who has a shop owner: the others have nothing to read here (and no error to retry),
  // unless they still let a shop owner see their phone number: the switch to withdraw it stays here.
  const bound = binding.data?.binding;
  if (!bound)
    return (
      <>
        {binding.data ? <PhoneConsents bound={null} heading={t('me.myShop')} /> : null}
        {apply}
      </>
    );
  return (
    <>
      <section aria-labelledby="my-shop-title">
        <h2 id="my-shop-title" className="section-title">
          {t('me.myShop')}
        </h2>
        <Link to={`/s/${bound.code}`} className="card" data-testid="my-shop">
          <span className="card-title">{t('me.boundTo', { name: bound.name, code: bound.code })}</span>
          <span className="card-meta">{t('me.boundUntil', { date: dateTime(bound.expiresAt, language) })}</span>
        </Link>
        <PhoneConsents bound={bound} />
      </section>
      {apply}
    </>
  );
}

function Orders() {
  const { t, language } = useI18n();
  const { api } = useSession();
  const now = useNow();
  const pledges = useResource<Page<Pledge>>('/v1/me/pledges', (signal) => api('GET', '/v1/me/pledges?limit=50', { signal }), { refreshMs: 10_000 });
  const campaigns = useCampaignsOf(pledges.data?.items.map((p) => p.campaignId) ?? []);
  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title" className="section-title">
        {t('me.orders')}
      </h2>
      {!pledges.data ? (
        pledges.error ? (
          <ErrorView error={pledges.error} retry={() => void pledges.reload()} />
        ) : (
          <Loading />
        )
      ) : pledges.data.items.length === 0 ? (
        <Empty>
          <p>{t('me.noOrders')}</p>
          <Link to="/">{t('me.browse')}</Link>
        </Empty>
      ) : (
        <ul className="list">
          {pledges.data.items.map((p) => {
            const c = campaigns.data?.get(p.campaignId);
            return (
              <li key={p.id}>
                <Link to={`/me/pledges/${p.id}`} className="card" data-testid="order-card" data-pledge-id={p.id}>
                  <span className={`order-state state-${p.status}`} data-testid="order-state">
                    {t(`pledgeStatus.${p.status}`)}
                  </span>
                  <span className="card-title">{c?.title ?? '…'}</span>
                  <span className="card-meta">{t('pledge.quantity', { variant: variantText(c, p.variant, language), n: p.quantity })}</span>
                  <span className="card-meta" data-testid="order-detail">
                    {pledgeDetail(p, c, t, language, now)}
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function Boxes() {
  const { t, language } = useI18n();
  const { api } = useSession();
  const subs = useResource<Page<Subscription>>('/v1/me/subscriptions', (signal) => api('GET', '/v1/me/subscriptions?limit=50', { signal }));
  const plans = useResource<Plan[]>('home:plans', async (signal) => (await api<{ items: Plan[] }>('GET', '/v1/subscription-plans', { signal })).items);
  return (
    <section aria-labelledby="subs-title">
      <h2 id="subs-title" className="section-title">
        {t('me.subscriptions')}
      </h2>
      {!subs.data ? (
        subs.error ? (
          <ErrorView error={subs.error} retry={() => void subs.reload()} />
        ) : (
          <Loading />
        )
      ) : subs.data.items.length === 0 ? (
        <Empty>
          <p>{t('me.noSubscriptions')}</p>
          <Link to="/plans">{t('plans.title')}</Link>
        </Empty>
      ) : (
        <ul className="list">
          {subs.data.items.map((s) => {
            const plan = plans.data?.find((p) => p.id === s.planId);
            return (
              <li key={s.id}>
                <Link to={`/subscriptions/${s.id}`} className="card" data-testid="subscription-card">
                  <span className="card-title">{plan ? planName(plan, language) : s.planId}</span>
                  <span className="card-meta">
                    {t(`subscriptionStatus.${(s.status === 'paused' || s.status === 'cancelled' ? s.status : 'active') as 'active'}`)}
                    {s.nextDeliveryDate && s.status !== 'cancelled' ? ` · ${t('subscription.delivery', { date: day(s.nextDeliveryDate, language) })}` : ''}
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function Notifications() {
  const { t, language } = useI18n();
  const { api } = useSession();
  // Keyed by language: the messages are rendered by the server in the buyer's language.
  const list = useResource<Page<Notification>>(`/v1/me/notifications:${language}`, (signal) => api('GET', '/v1/me/notifications?limit=20', { signal }), {
    refreshMs: 30_000,
  });
  return (
    <section aria-labelledby="notices-title">
      <h2 id="notices-title" className="section-title">
        {t('me.notifications')}
      </h2>
      {!list.data ? (
        list.error ? (
          <ErrorView error={list.error} retry={() => void list.reload()} />
        ) : (
          <Loading />
        )
      ) : list.data.items.length === 0 ? (
        <Empty>{t('me.noNotifications')}</Empty>
      ) : (
        <ul className="list card" data-testid="notifications">
          {list.data.items.map((n) => (
            <li key={n.id} className="notice">
              {n.pledgeId ? <Link to={`/me/pledges/${n.pledgeId}`}>{n.message}</Link> : n.message}
              <time dateTime={n.createdAt}>{dateTime(n.createdAt, language)}</time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
