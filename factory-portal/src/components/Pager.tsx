import { useTranslation } from 'react-i18next';
import type { Page } from '../api/types';
import { useLanguage } from '../i18n';
import { formatNumber } from '../lib/format';

/** Previous / next through a paginated list, with where we are in it. */
export function Pager({ page, onOffset }: { page: Page<unknown>; onOffset: (offset: number) => void }) {
  const { t } = useTranslation();
  const language = useLanguage();
  if (page.total <= page.limit) return null;
  return (
    <nav className="pager" aria-label={t('common.pages')}>
      <button type="button" disabled={page.offset === 0} onClick={() => onOffset(Math.max(0, page.offset - page.limit))}>
        {t('common.previous')}
      </button>
      <span>
        {t('common.pageOf', {
          from: formatNumber(page.offset + 1, language),
          to: formatNumber(Math.min(page.total, page.offset + page.limit), language),
          total: formatNumber(page.total, language),
        })}
      </span>
      <button type="button" disabled={page.offset + page.limit >= page.total} onClick={() => onOffset(page.offset + page.limit)}>
        {t('common.next')}
      </button>
    </nav>
  );
}
