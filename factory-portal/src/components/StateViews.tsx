import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { ApiError, NETWORK_ERROR, type FieldError } from '../api/client';
import { zh } from '../i18n/zh';

type ApiErrorCode = keyof typeof zh.apiError;
type FieldReason = keyof typeof zh.fieldError;
const known = <K extends string>(table: Record<K, string>, key: string | undefined): key is K => key !== undefined && Object.hasOwn(table, key);

/**
 * What went wrong, in words a factory planner can act on, in their language: from the API's `code`,
 * never its `detail` (written for developers, partly in English).
 */
export function errorText(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.code === NETWORK_ERROR) return t('common.networkError');
    // Another factory's record is "not found" too (the API never says whose it is).
    if (error.status === 404) return t('common.notFound');
    if (error.status === 429) return t('common.tooMany');
    if (error.status >= 500) return t('common.serverError');
    return known<ApiErrorCode>(zh.apiError, error.code) ? t(`apiError.${error.code}`) : t('apiError.refused', { code: error.code });
  }
  return error instanceof Error ? error.message : String(error);
}

/** A bad field, from its `reason` (zod's English never reaches a screen). */
export function fieldErrorText(error: FieldError, t: TFunction): string {
  return known<FieldReason>(zh.fieldError, error.reason) ? t(`fieldError.${error.reason}`, { limit: error.limit }) : t('fieldError.invalid');
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
