import { useTranslation } from 'react-i18next';

/** 任务 (/console/jobs): a placeholder until the area is built. */
export function JobsPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.jobs.title')}</h1>
      <p className="muted">{t('console.jobs.intro')}</p>
      <p className="state state-empty">{t('console.jobs.placeholder')}</p>
    </>
  );
}
