import { useTranslation } from 'react-i18next';

/** 工厂与果园 (/console/factories): a placeholder until the area is built. */
export function FactoriesPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.factories.title')}</h1>
      <p className="muted">{t('console.factories.intro')}</p>
      <p className="state state-empty">{t('console.factories.placeholder')}</p>
    </>
  );
}
