import { useTranslation } from 'react-i18next';

/** 审计日志 (/console/audit): a placeholder until the area is built. */
export function AuditPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.audit.title')}</h1>
      <p className="muted">{t('console.audit.intro')}</p>
      <p className="state state-empty">{t('console.audit.placeholder')}</p>
    </>
  );
}
