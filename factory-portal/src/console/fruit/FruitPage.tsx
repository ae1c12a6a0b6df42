import { useTranslation } from 'react-i18next';

/** 水果 (/console/fruit): a placeholder until the area is built. */
export function FruitPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.fruit.title')}</h1>
      <p className="muted">{t('console.fruit.intro')}</p>
      <p className="state state-empty">{t('console.fruit.placeholder')}</p>
    </>
  );
}
