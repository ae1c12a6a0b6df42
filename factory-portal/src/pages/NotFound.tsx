import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

/** A page, or a record that is not this factory's: both are simply not found. */
export function NotFound({ message }: { message?: string }) {
  const { t } = useTranslation();
  return (
    <div className="state state-error" role="alert">
      <p>{message ?? t('common.pageNotFound')}</p>
      <Link to="/">{t('common.backToOverview')}</Link>
    </div>
  );
}
