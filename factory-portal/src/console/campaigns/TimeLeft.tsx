import { useTranslation } from 'react-i18next';
import { timeLeftParts } from './form';
import type { OperatorCampaign } from './queries';

/** Time left before the pledge window closes: "3 天 4 小时"; 已截止 once it has; 未发布 for a draft. */
export function TimeLeft({ campaign }: { campaign: Pick<OperatorCampaign, 'status' | 'progress'> }) {
  const { t } = useTranslation();
  if (campaign.status === 'draft') return <>{t('console.campaigns.timeLeft.notPublished')}</>;
  const seconds = campaign.progress.secondsLeft;
  if (seconds <= 0) return <>{t('console.campaigns.timeLeft.ended')}</>;
  const { days, hours, minutes } = timeLeftParts(seconds);
  if (days > 0) return <>{t('console.campaigns.timeLeft.days', { days, hours })}</>;
  if (hours > 0) return <>{t('console.campaigns.timeLeft.hours', { hours, minutes })}</>;
  return <>{t('console.campaigns.timeLeft.minutes', { minutes: Math.max(1, minutes) })}</>;
}
