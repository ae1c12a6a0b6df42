import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import type { zh } from './i18n';

type Words = typeof zh;
const has = <T extends object>(table: T, key: string): key is Extract<keyof T, string> => Object.hasOwn(table, key);

/** The money area's two pages, as tabs under its heading. */
export function MoneyTabs() {
  const { t } = useTranslation();
  return (
    <nav className="money-tabs" aria-label={t('console.money.tabs.label')}>
      <NavLink to="/console/money" end>
        {t('console.money.tabs.search')}
      </NavLink>
      <NavLink to="/console/money/ledger">{t('console.money.tabs.ledger')}</NavLink>
    </nav>
  );
}

/** A record's state in words, coloured by how it stands (colour only repeats the words). */
export function StatusBadge({ kind, status, stuck = false }: { kind: string; status: string; stuck?: boolean }) {
  const { t } = useTranslation();
  const word = useWord();
  const table = STATUS_TABLES[kind];
  const tone = stuck || BAD.has(status) ? 'badge-failed' : GOOD.has(status) ? 'badge-ok' : 'badge-money-open';
  return (
    <>
      <span className={`badge ${tone}`} data-testid="status">
        {table ? word(table, status) : status}
      </span>
      {stuck && (
        <>
          {' '}
          <span className="badge badge-failed" data-testid="stuck">
            {t('console.money.stuck')}
          </span>
        </>
      )}
    </>
  );
}

const STATUS_TABLES: Record<string, keyof Words> = {
  pledges: 'pledgeStatus',
  payments: 'paymentStatus',
  refunds: 'refundStatus',
  subscriptions: 'subscriptionStatus',
  boxes: 'boxStatus',
};
const GOOD = new Set(['paid', 'succeeded', 'active', 'shipped']);
const BAD = new Set(['failed', 'expired', 'forfeited']);

/** A name from one of the area's tables in the reader's language, or the API's own word when the table does not know it. */
export function useWord() {
  const { t, i18n } = useTranslation();
  return (table: keyof Words, key: string): string => {
    const words = i18n.getResource(i18n.language, 'translation', `console.money.${table}`) as Record<string, string> | undefined;
    return words && typeof words === 'object' && has(words, key) ? t(`console.money.${table}.${key}` as never) : key;
  };
}

