import type { ReactElement } from 'react';
import { cloneElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { fieldErrorText } from './StateViews';

/** What the failed request said of the field at `path` (or of a field under it, `prefix`), in the reader's language; null when nothing. */
export function useFieldError(error: unknown, path: string, prefix = false): string | null {
  const { t } = useTranslation();
  if (!(error instanceof ApiError)) return null;
  const found = error.fieldErrors.find((e) => e.path === path || (prefix && e.path.startsWith(`${path}.`)));
  return found ? fieldErrorText(found, t) : null;
}

/**
 * A labelled input with its hint and what the API said of it (from the field's `reason`, never its English),
 * tied to it by aria-describedby. The browser does not validate: the API does.
 */
export function Field({
  id,
  label,
  hint,
  error,
  path,
  prefix = false,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error: unknown;
  path: string;
  /** Errors of fields under `path` (body.seasons.0.months) count too. */
  prefix?: boolean;
  children: ReactElement<Record<string, unknown>>;
}) {
  const message = useFieldError(error, path, prefix);
  const described = message ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-invalid': message !== null, 'aria-describedby': described })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {message && (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      )}
    </div>
  );
}

/** Whether the failed request's problem lies in the fields (shown under them) rather than in the whole request. */
export const hasFieldErrors = (error: unknown): boolean => error instanceof ApiError && error.fieldErrors.length > 0;
