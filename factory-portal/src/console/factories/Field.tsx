import type { ReactElement } from 'react';
import { cloneElement } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { fieldErrorText } from '../../components/StateViews';

/**
 * A labelled input with its hint and what the API said of it (from the field's `reason`, in the reader's
 * language), tied to it by aria-describedby. The browser does not validate: the API does.
 */
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
  /** The failed request, if any. */
  error: unknown;
  /** The field's path in the API's errors (body.email). */
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

/** Whether the failed request's problem lies in the fields (shown under them) rather than in the whole request. */
export const hasFieldErrors = (error: unknown): boolean => error instanceof ApiError && error.fieldErrors.length > 0;
