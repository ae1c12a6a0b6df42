import { useTranslation } from 'react-i18next';

/** 概览 (/console): a placeholder until the area is built. */
export function HomePage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.home.title')}</h1>
      <p className="muted">{t('console.home.intro')}</p>
      <p className="state state-empty">{t('console.home.placeholder')}</p>
    </>
  );
}
