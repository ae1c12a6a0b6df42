import { useEffect, useState } from 'react';
import type { Page, ShopOrder } from '../api/types';
import { Empty, ErrorView, Loading } from '../components/ui';
import { useI18n } from '../i18n';
import { dateTime, yuan } from '../lib/format';
import { variantText } from '../lib/labels';
import { useCampaignsOf } from '../lib/pledge';
import { useResource } from '../lib/resource';
import { navigate } from '../router';
import { useSession } from '../session';

type Kind = ShopOrder['kind'];

/**
 * 店铺订单: the pledges and fruit-box subscriptions made through the shop owner's links, each customer shown by
 * a masked phone number unless they consented to share it with this shop owner (docs/shop-owners.md § Privacy).
 */
export default function ShopOrdersPage() {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  const [kind, setKind] = useState<Kind>('pledge');
  useEffect(() => {
    if (!session) navigate('/signin?next=/shop/orders', { replace: true });
  }, [session]);
  const orders = useResource<Page<ShopOrder>>(session ? `/v1/me/shop/orders:${kind}` : null, (signal) =>
    api('GET', `/v1/me/shop/orders?kind=${kind}&limit=50`, { signal }),
  );
  // The option labels of the campaigns these orders belong to, as 我的 shows them.
  const campaigns = useCampaignsOf(orders.data?.items.flatMap((o) => (o.kind === 'pledge' ? [o.campaignId] : [])) ?? []);
  if (!session) return <Loading />;
  return (
    <div className="page">
      <h1>{t('privacy.shopOrders')}</h1>
      <p className="hint">{t('privacy.maskedRule')}</p>
      <div className="tabs" role="tablist">
        {(['pledge', 'subscription'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={kind === k} className={kind === k ? 'button primary' : 'button'} onClick={() => setKind(k)}>
            {t(k === 'pledge' ? 'privacy.pledges' : 'privacy.subscriptions')}
          </button>
        ))}
      </div>
      {!orders.data ? (
        orders.error ? (
          <ErrorView error={orders.error} />
        ) : (
          <Loading />
        )
      ) : orders.data.items.length === 0 ? (
        <Empty>{t('privacy.noOrders')}</Empty>
      ) : (
        <ul className="list">
          {orders.data.items.map((o) => (
            <li key={o.id} className="card" data-testid="shop-order">
              {o.kind === 'pledge' ? (
                <>
                  <span className={`order-state state-${o.status}`}>{t(`pledgeStatus.${o.status}`)}</span>
                  <span className="card-title">{o.campaignTitle}</span>
                  <span className="card-meta">
                    {t('pledge.quantity', { variant: variantText(campaigns.data?.get(o.campaignId), o.variant, language), n: o.quantity })} ·{' '}
                    {t('privacy.paid', { amount: yuan(o.paid) })}
                  </span>
                </>
              ) : (
                <>
                  <span className="card-title">{language === 'zh' ? o.planName.zh : o.planName.en}</span>
                  <span className="card-meta">{t(`subscriptionStatus.${o.status}`)}</span>
                </>
              )}
              <span className="card-meta" data-testid="shop-order-customer">
                {o.customer.phone === null
                  ? t('privacy.noPhone')
                  : t(o.customer.phoneShared ? 'privacy.customerShared' : 'privacy.customer', { phone: o.customer.phone })}
              </span>
              <time className="card-meta" dateTime={o.createdAt}>
                {dateTime(o.createdAt, language)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
