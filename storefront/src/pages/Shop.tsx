import { useEffect } from 'react';
import { ApiError } from '../api/client';
import type { ShopPage as ShopPageData } from '../api/types';
import { Empty, ErrorView, Loading } from '../components/ui';
import { useI18n } from '../i18n';
import { useResource } from '../lib/resource';
import { Link } from '../router';
import { useSession } from '../session';
import { CampaignCard, PlanList } from './Home';

/** A shop owner's page (/s/:code): their name and greeting, the campaigns and fruit plans they chose; every link carries their code. */
export default function ShopPage({ code }: { code: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const shop = useResource<ShopPageData>(`/v1/shops/${code}`, (signal) => api('GET', `/v1/shops/${encodeURIComponent(code)}`, { signal }));
  const data = shop.data;
  useEffect(() => {
    document.title = `${data?.name ?? t('titles.shop')} · ${t('app.name')}`;
  }, [data, t]);
  if (!data) {
    if (shop.error instanceof ApiError && shop.error.status === 404)
      return (
        <section className="page" data-testid="shop-not-found">
          <h1>{t('shop.notFound')}</h1>
          <p>{t('shop.notFoundHint')}</p>
          <p>
            <Link to="/">{t('common.backHome')}</Link>
          </p>
        </section>
      );
    return shop.error ? <ErrorView error={shop.error} retry={() => void shop.reload()} /> : <Loading />;
  }
  const query = `?s=${encodeURIComponent(data.code)}`;
  return (
    <div className="page" data-testid="shop-page">
      <section className="card shop-head">
        <h1>{data.name}</h1>
        {data.greeting && <p className="greeting">{data.greeting}</p>}
      </section>
      {data.campaigns.length === 0 && data.plans.length === 0 ? (
        <Empty>
          <p>{t('shop.empty')}</p>
          <Link to={`/${query}`}>{t('shop.browse')}</Link>
        </Empty>
      ) : (
        <>
          {data.campaigns.length > 0 && (
            <section aria-labelledby="shop-campaigns-title">
              <h2 id="shop-campaigns-title" className="section-title">
                {t('shop.campaigns')}
              </h2>
              <ul className="list">
                {data.campaigns.map((c) => (
                  <li key={c.id}>
                    <CampaignCard campaign={c} query={query} />
                  </li>
                ))}
              </ul>
            </section>
          )}
          {data.plans.length > 0 && (
            <section aria-labelledby="shop-plans-title">
              <h2 id="shop-plans-title" className="section-title">
                {t('shop.plans')}
              </h2>
              <PlanList plans={data.plans} query={query} />
            </section>
          )}
        </>
      )}
    </div>
  );
}
