import type { Plan } from '../api/types';
import { ErrorView, Loading } from '../components/ui';
import { useI18n } from '../i18n';
import { useResource } from '../lib/resource';
import { useSession } from '../session';
import { PlanList } from './Home';

export default function PlansPage() {
  const { t } = useI18n();
  const { api } = useSession();
  const plans = useResource<Plan[]>('home:plans', async (signal) => (await api<{ items: Plan[] }>('GET', '/v1/subscription-plans', { signal })).items);
  return (
    <div className="page">
      <h1>{t('plans.title')}</h1>
      <p className="hint">{t('plans.intro')}</p>
      {plans.data ? <PlanList plans={plans.data} /> : plans.error ? <ErrorView error={plans.error} retry={() => void plans.reload()} /> : <Loading />}
    </div>
  );
}
