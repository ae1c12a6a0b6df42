import { useState, type FormEvent } from 'react';
import { Field } from './Field';

/**
 * How an operator action that needs a why is confirmed: the question (if any), the reason with what the API said
 * of it, confirm and back. The reason is the form's own: the form goes away once the action is done or dropped.
 */
export function ReasonForm({
  id,
  label,
  hint,
  question,
  error,
  pending,
  confirmLabel,
  backLabel,
  danger = true,
  ariaLabel,
  className,
  onConfirm,
  onBack,
}: {
  id: string;
  label: string;
  hint: string;
  question?: string;
  /** The failed request, if any: its error for `body.reason` is shown under the field. */
  error: unknown;
  pending: boolean;
  confirmLabel: string;
  backLabel: string;
  danger?: boolean;
  ariaLabel?: string;
  className?: string;
  onConfirm(reason: string): void;
  onBack(): void;
}) {
  const [reason, setReason] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onConfirm(reason);
  };
  return (
    <form className={className} onSubmit={submit} noValidate aria-label={ariaLabel}>
      {question && <p>{question}</p>}
      <Field id={id} label={label} hint={hint} error={error} path="body.reason">
        <input value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <button type="submit" className={danger ? 'danger' : 'primary'} disabled={pending}>
        {confirmLabel}
      </button>{' '}
      <button type="button" onClick={onBack}>
        {backLabel}
      </button>
    </form>
  );
}
