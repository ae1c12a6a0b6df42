import type { Campaign, Page, Plan } from '../api/types';
import { Empty, ErrorView, Loading } from '../components/ui';
import { useI18n } from '../i18n';
import { countdown, number, yuan } from '../lib/format';
import { planName } from '../lib/labels';
import { useNow, useResource } from '../lib/resource';
import { Link } from '../router';
import { useSession } from '../session';

export interface HomeData {
  campaigns: Campaign[];
  plans: Plan[];
}

/** Live and upcoming joint pre-orders, then the fruit-box plans. */
export function HomePage() {
  const { t } = useI18n();
  const { api } = useSession();
  const campaigns = useResource<Campaign[]>(
    'home:campaigns',
    async (signal) => {
      const [open, scheduled] = await Promise.all([
        api<Page<Campaign>>('GET', '/v1/campaigns?status=open&limit=50', { signal }),
        api<Page<Campaign>>('GET', '/v1/campaigns?status=scheduled&limit=50', { signal }),
      ]);
      return [...open.items, ...scheduled.items];
    },
    { refreshMs: 30_000 },
  );
  const plans = useResource<Plan[]>('home:plans', async (signal) => (await api<{ items: Plan[] }>('GET', '/v1/subscription-plans', { signal })).items);
  // The server's first-paint data is already in the cache (main.tsx): shown at once, then refreshed.
  const list = campaigns.data;
  const planList = plans.data;
  return (
    <div className="page">
      <h1 className="visually-hidden">{t('home.title')}</h1>
      <section aria-labelledby="campaigns-title">
        <h2 id="campaigns-title" className="section-title">
          {t('home.campaigns')}
        </h2>
        {list === undefined ? (
          campaigns.error ? (
            <ErrorView error={campaigns.error} retry={() => void campaigns.reload()} />
          ) : (
            <Loading />
          )
        ) : list.length === 0 ? (
          <Empty>{t('home.noCampaigns')}</Empty>
        ) : (
          <ul className="list">
            {list.map((c) => (
              <li key={c.id}>
                <CampaignCard campaign={c} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="plans-title">
        <h2 id="plans-title" className="section-title">
          {t('home.plans')}
        </h2>
        {planList === undefined ? (
          plans.error ? (
            <ErrorView error={plans.error} retry={() => void plans.reload()} />
          ) : (
            <Loading />
          )
        ) : (
          <PlanList plans={planList} />
        )}
      </section>
    </div>
  );
}

/** A campaign as a card; `query` (a shop's `?s=CODE`) goes on with the link. */
export function CampaignCard({ campaign, query = '' }: { campaign: Campaign; query?: string }) {
  const { t, language } = useI18n();
  const now = useNow();
  const lowest = campaign.tiers[campaign.tiers.length - 1];
  const top = lowest?.minUnits ?? 1;
  return (
    <Link to={`/c/${campaign.id}${query}`} className="card campaign-card" data-testid="campaign-card">
      <span className="card-title">{campaign.title}</span>
      <span className="card-meta">
        {lowest && <span className="price">{t('campaign.priceFrom', { price: yuan(lowest.unitPrice) })}</span>} <s>{yuan(campaign.referencePrice)}</s>
      </span>
      <span className="bar small" aria-hidden="true">
        <span className="bar-fill" style={{ width: `${Math.min(100, (campaign.progress.paidUnits / top) * 100)}%` }} />
      </span>
      <span className="card-meta">
        {t('campaign.people', { pledgers: number(campaign.progress.pledgers, language), units: number(campaign.progress.paidUnits, language) })}
        {' · '}
        {campaign.status === 'open' ? t('campaign.endsIn', { time: countdown(campaign.closesAt, now, language) }) : t(`campaignStatus.${campaign.status}`)}
      </span>
    </Link>
  );
}

export function PlanList({ plans, query = '' }: { plans: Plan[]; query?: string }) {
  const { t, language } = useI18n();
  if (plans.length === 0) return <Empty>{t('plans.none')}</Empty>;
  return (
    <ul className="list">
      {plans.map((plan) => (
        <li key={plan.id}>
          <Link to={`/plans/${plan.id}/subscribe${query}`} className="card plan-card" data-testid="plan-card">
            <span className="card-title">{planName(plan, language)}</span>
            <span className="card-meta">
              <span className="price">{yuan(plan.price)}</span> {t(plan.period === 'weekly' ? 'plans.perWeek' : 'plans.perFortnight')}
            </span>
            <span className="card-meta">{t('plans.household', { n: plan.maxHousehold })}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
