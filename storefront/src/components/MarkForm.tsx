import { useState, type FormEvent } from 'react';
import { errorText } from '../api/errors';
import type { MarkColor, MarkKind, MyMark } from '../api/types';
import { useI18n } from '../i18n';
import { forget } from '../lib/resource';
import { useSession } from '../session';
import { Message } from './ui';

/**
 * A shop owner's 红 or 黑 mark with its reason (PUT /v1/marks/mine): of a fixed subject (a campaign page, a row of
 * the lists), or of a brand or origin typed in. Marking again replaces the shop owner's mark of that subject.
 */
export function MarkForm({
  subject,
  current,
  onSaved,
}: {
  /** The subject to mark; absent: the shop owner types a brand or origin. */
  subject?: { kind: MarkKind; ref: string; label: string };
  current?: MyMark;
  onSaved(mark: MyMark): void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  const [kind, setKind] = useState<MarkKind>(subject?.kind ?? 'origin');
  const [name, setName] = useState('');
  const [color, setColor] = useState<MarkColor>(current?.color ?? 'red');
  const [reason, setReason] = useState(current?.reason ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { kind: subject?.kind ?? kind, subject: subject?.ref ?? name, color, reason };
      const mark = await api<MyMark>('PUT', '/v1/marks/mine', { body });
      forget('marks:');
      onSaved(mark);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} data-testid="mark-form">
      {subject ? (
        <p className="card-title">
          {t(`marks.kinds.${subject.kind}`)} · {subject.label}
        </p>
      ) : (
        <>
          <label className="field">
            <span>{t('marks.kind')}</span>
            <select value={kind} onChange={(e) => setKind(e.target.value as MarkKind)} data-testid="mark-kind">
              {(['origin', 'brand'] as const).map((k) => (
                <option key={k} value={k}>
                  {t(`marks.kinds.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('marks.subject')}</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={64} required data-testid="mark-subject" />
            <small className="hint">{t('marks.subjectHint')}</small>
          </label>
        </>
      )}
      <div className="tabs" role="radiogroup" aria-label={t('marks.title')}>
        {(['red', 'black'] as const).map((c) => (
          <button
            key={c}
            type="button"
            role="radio"
            aria-checked={color === c}
            className={color === c ? 'button primary' : 'button'}
            onClick={() => setColor(c)}
            data-testid={`mark-${c}`}
          >
            {t(c === 'red' ? 'marks.redMark' : 'marks.blackMark')}
          </button>
        ))}
      </div>
      <label className="field">
        <span>{t('marks.reason')}</span>
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={3} maxLength={500} minLength={2} required data-testid="mark-reason" />
        <small className="hint">{t('marks.reasonHint')}</small>
      </label>
      {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
      <button type="submit" className="button primary wide" disabled={busy} aria-busy={busy} data-testid="mark-submit">
        {t('marks.submit')}
      </button>
      <p className="hint">{t('marks.anonymous')}</p>
    </form>
  );
}
