import type { ReactElement } from 'react';
import { cloneElement } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import { ApiError } from '../../api/client';
import { fieldErrorText } from '../../components/StateViews';
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

/** A labelled input with its hint and what the API said of it (from the field's `reason`), tied to it by aria-describedby. */
export function Field({
  id,
  label,
  hint,
  error,
  path,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error: unknown;
  path: string;
  children: ReactElement<Record<string, unknown>>;
}) {
  const { t } = useTranslation();
  const fieldError = error instanceof ApiError ? error.fieldErrors.find((e) => e.path === path) : undefined;
  const described = fieldError ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-invalid': fieldError !== undefined, 'aria-describedby': described })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {fieldError && (
        <p className="field-error" id={`${id}-error`}>
          {fieldErrorText(fieldError, t)}
        </p>
      )}
    </div>
  );
}

export const hasFieldErrors = (error: unknown): boolean => error instanceof ApiError && error.fieldErrors.length > 0;
