import { useTranslation } from 'react-i18next';

/** 资金 (/console/money): a placeholder until the area is built. */
export function MoneyPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.money.title')}</h1>
      <p className="muted">{t('console.money.intro')}</p>
      <p className="state state-empty">{t('console.money.placeholder')}</p>
    </>
  );
}
