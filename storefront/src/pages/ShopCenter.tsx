import { useEffect } from 'react';
import { ApiError } from '../api/client';
import type { ShopDashboard } from '../api/types';
import { Empty, ErrorView, Loading, Message } from '../components/ui';
import { useI18n } from '../i18n';
import { number, yuan } from '../lib/format';
import { useResource } from '../lib/resource';
import { Link, navigate } from '../router';
import { useSession } from '../session';

/** 店主中心: the shop owner's own figures through their links (GET /v1/me/shop/dashboard). */
export default function ShopCenterPage() {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  useEffect(() => {
    if (!session) navigate('/signin?next=/shop', { replace: true });
  }, [session]);
  const dashboard = useResource<ShopDashboard>(session ? '/v1/me/shop/dashboard' : null, (signal) => api('GET', '/v1/me/shop/dashboard', { signal }), {
    refreshMs: 30_000,
  });
  const d = dashboard.data;
  if (!session) return <Loading />;
  if (!d) {
    if (dashboard.error instanceof ApiError && dashboard.error.status === 403)
      return (
        <section className="page">
          <h1>{t('shopCenter.title')}</h1>
          <Message kind="info">{t('shopCenter.notOwner')}</Message>
        </section>
      );
    return dashboard.error ? <ErrorView error={dashboard.error} retry={() => void dashboard.reload()} /> : <Loading />;
  }
  const n = (value: number) => number(value, language);
  return (
    <div className="page" data-testid="shop-center">
      <h1>{t('shopCenter.title')}</h1>
      <section className="card">
        <p className="card-title">{d.name}</p>
        <p className="hint">
          {t('shopCenter.code', { code: d.code })} · <Link to={`/s/${d.code}`}>{t('shopCenter.myPage')}</Link> ·{' '}
          <Link to="/shop/orders" data-testid="shop-orders-link">
            {t('privacy.shopOrders')}
          </Link>{' '}
          ·{' '}
          <Link to="/shop/trials" data-testid="shop-trials-link">
            {t('trials.link')}
          </Link>{' '}
          ·{' '}
          <Link to="/shop/marks" data-testid="shop-marks-link">
            {t('shopCenter.marks')}
          </Link>
        </p>
        <p data-testid="shop-level">
          {t('shopCenter.level', { name: t(`levels.${d.level.level}`) })} · {t('shopCenter.sales', { amount: yuan(d.level.completedSales) })}
        </p>
        <p className="hint">
          {d.level.next ? t('shopCenter.next', { amount: yuan(d.level.next.salesNeeded), name: t(`levels.${d.level.next.level}`) }) : t('shopCenter.top')}
        </p>
        <dl className="figures" data-testid="shop-page-visits">
          <div>
            <dt>
              {t('shopCenter.shopPage')} · {t('shopCenter.visits')}
            </dt>
            <dd>{n(d.shopPage.visits)}</dd>
          </div>
          <div>
            <dt>{t('shopCenter.today')}</dt>
            <dd>{n(d.shopPage.visitsToday)}</dd>
          </div>
        </dl>
      </section>
      <section className="card" aria-labelledby="commission-title">
        <h2 id="commission-title">{t('shopCenter.commission')}</h2>
        <dl className="figures" data-testid="commission">
          <div>
            <dt>{t('shopCenter.pending')}</dt>
            <dd data-testid="commission-pending">{yuan(d.commission.pending)}</dd>
          </div>
          <div>
            <dt>{t('shopCenter.settled')}</dt>
            <dd data-testid="commission-settled">{yuan(d.commission.settled)}</dd>
          </div>
          <div>
            <dt>{t('shopCenter.paid')}</dt>
            <dd data-testid="commission-paid">{yuan(d.commission.paid)}</dd>
          </div>
        </dl>
        <p className="hint">{t('shopCenter.commissionRule')}</p>
      </section>
      <section aria-labelledby="shop-campaigns-title">
        <h2 id="shop-campaigns-title" className="section-title">
          {t('shopCenter.campaigns')}
        </h2>
        {d.campaigns.length === 0 ? (
          <Empty>{t('shopCenter.noCampaigns')}</Empty>
        ) : (
          <ul className="list">
            {d.campaigns.map((c) => (
              <li key={c.campaignId} className="card" data-testid="shop-campaign" data-campaign-id={c.campaignId}>
                {c.title ? (
                  <Link to={`/c/${c.campaignId}?s=${d.code}`} className="card-title">
                    {c.title}
                  </Link>
                ) : (
                  <span className="card-title">{t('shopCenter.unknownCampaign')}</span>
                )}
                <dl className="figures">
                  <div>
                    <dt>{t('shopCenter.visits')}</dt>
                    <dd data-testid="visits">{n(c.visits)}</dd>
                  </div>
                  <div>
                    <dt>{t('shopCenter.today')}</dt>
                    <dd>{n(c.visitsToday)}</dd>
                  </div>
                  <div>
                    <dt>{t('shopCenter.pledges')}</dt>
                    <dd data-testid="pledges">{n(c.pledges)}</dd>
                  </div>
                  <div>
                    <dt>{t('shopCenter.units')}</dt>
                    <dd data-testid="units">{n(c.units)}</dd>
                  </div>
                </dl>
              </li>
            ))}
          </ul>
        )}
        <p className="hint">{t('shopCenter.countRule')}</p>
        <p className="hint">{t('shopCenter.levelRule')}</p>
      </section>
    </div>
  );
}
