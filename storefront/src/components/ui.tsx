import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorText } from '../api/errors';
import { useI18n } from '../i18n';

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {t('common.loading')}
    </p>
  );
}

export function ErrorView({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="state state-error" role="alert">
      <p>{errorText(error, t)}</p>
      {retry && (
        <button type="button" className="button secondary" onClick={retry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

/** A message under a form or action: errors are announced at once, other notes politely. */
export function Message({ kind, children }: { kind: 'error' | 'info' | 'success'; children: ReactNode }) {
  return (
    <p className={`message message-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

/**
 * A bottom sheet on the native <dialog>: focus moves into it and stays there, Escape closes it, the page
 * behind is inert; the buyer never leaves the page they were on.
 */
export function Sheet({ open, onClose, title, children }: { open: boolean; onClose(): void; title: string; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { t } = useI18n();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="sheet"
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={onClose}
      onClick={(event) => event.target === ref.current && onClose()}
    >
      <div className="sheet-body">
        <div className="sheet-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>
            ×
          </button>
        </div>
        {open && children}
      </div>
    </dialog>
  );
}

/** A confirm step that states the consequences before the tap that acts. */
export function Confirm({
  open,
  title,
  body,
  confirm,
  onConfirm,
  onClose,
  busy,
  danger,
}: {
  open: boolean;
  title: string;
  body: ReactNode;
  confirm: string;
  onConfirm(): void;
  onClose(): void;
  busy?: boolean;
  danger?: boolean;
}) {
  const { t } = useI18n();
  return (
    <Sheet open={open} onClose={onClose} title={title}>
      <div className="confirm-body">{body}</div>
      <div className="actions">
        <button type="button" className="button secondary" onClick={onClose}>
          {t('common.back')}
        </button>
        <button type="button" className={`button ${danger ? 'danger' : 'primary'}`} onClick={onConfirm} disabled={busy} aria-busy={busy}>
          {confirm}
        </button>
      </div>
    </Sheet>
  );
}

/** The browser's own idea of being online, for the offline banner. */
export function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine !== false);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  return online;
}
