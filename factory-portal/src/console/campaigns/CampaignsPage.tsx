import { useTranslation } from 'react-i18next';

/** 活动 (/console/campaigns): a placeholder until the area is built. */
export function CampaignsPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.campaigns.title')}</h1>
      <p className="muted">{t('console.campaigns.intro')}</p>
      <p className="state state-empty">{t('console.campaigns.placeholder')}</p>
    </>
  );
}
