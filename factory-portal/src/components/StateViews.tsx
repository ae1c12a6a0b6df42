import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { ApiError, NETWORK_ERROR } from '../api/client';

/** What went wrong, in words a factory planner can act on; the API's own detail where it has one. */
export function errorText(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.code === NETWORK_ERROR) return t('common.networkError');
    // Another factory's record is "not found" too (the API never says whose it is).
    if (error.status === 404) return t('common.notFound');
    if (error.status === 429) return t('common.tooMany');
    if (error.status >= 500) return t('common.serverError');
    return error.detail;
  }
  return error instanceof Error ? error.message : String(error);
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="state state-loading" role="status">
      {t('common.loading')}
    </p>
  );
}

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="state state-error" role="alert">
      <p>{t('common.failed', { message: errorText(error, t) })}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

/** A failed action (acknowledge, save, download): what the API said, where the user acted. */
export function ActionError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  return (
    <p className="field-error" role="alert">
      {errorText(error, t)}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** A query's loading and error states, or its data: no screen is ever blank while it waits or fails. */
export function QueryView<T>({ query, children }: { query: UseQueryResult<T>; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  return <>{children(query.data)}</>;
}
