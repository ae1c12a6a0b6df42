import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { errorText } from '../api/errors';
import type { MarkColor, MarkKind, MarkTally, MyMark, Page } from '../api/types';
import { MarkForm } from '../components/MarkForm';
import { Empty, ErrorView, Loading, Message } from '../components/ui';
import { useI18n } from '../i18n';
import { forget, useResource } from '../lib/resource';
import { navigate } from '../router';
import { useSession } from '../session';

const KINDS: MarkKind[] = ['campaign', 'factory', 'brand', 'origin'];

/**
 * 红黑榜 (docs/selection.md § 红黑榜): the red and black lists by kind, ranked by the Wilson lower bound of the share,
 * with each subject's counts and its factory's answer; the shop owner marks a brand or origin, or any listed subject,
 * and sees and withdraws their own marks.
 */
export default function ShopMarksPage() {
  const { t } = useI18n();
  const { session, api } = useSession();
  const [kind, setKind] = useState<MarkKind>('campaign');
  const [board, setBoard] = useState<MarkColor>('red');
  const [marking, setMarking] = useState<MarkTally['subject'] | null>(null);
  const [saved, setSaved] = useState<MyMark | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!session) navigate('/signin?next=/shop/marks', { replace: true });
  }, [session]);
  const list = useResource<Page<MarkTally>>(`marks:list:${kind}:${board}`, (signal) =>
    api('GET', `/v1/marks?kind=${kind}&board=${board}&limit=50`, { signal }),
  );
  const mine = useResource<Page<MyMark>>(session ? 'marks:mine' : null, (signal) => api('GET', '/v1/marks/mine?limit=100', { signal }));
  if (!session) return <Loading />;
  if (mine.error instanceof ApiError && mine.error.status === 403)
    return (
      <section className="page">
        <h1>{t('marks.title')}</h1>
        <Message kind="info">{t('shopCenter.notOwner')}</Message>
      </section>
    );

  const afterSave = (mark: MyMark) => {
    setSaved(mark);
    setMarking(null);
    void list.reload();
    void mine.reload();
  };
  async function withdraw(subjectId: string) {
    setError(null);
    try {
      await api('DELETE', `/v1/marks/mine/${subjectId}`);
      forget('marks:');
      void mine.reload();
      void list.reload();
    } catch (e) {
      setError(e);
    }
  }
  const colorWord = (c: MarkColor) => t(c === 'red' ? 'marks.redMark' : 'marks.blackMark');

  return (
    <div className="page" data-testid="shop-marks">
      <h1>{t('marks.title')}</h1>
      <p className="hint">{t('marks.intro')}</p>
      <div className="tabs" role="tablist" aria-label={t('marks.kind')}>
        {KINDS.map((k) => (
          <button key={k} type="button" role="tab" aria-selected={kind === k} className={kind === k ? 'button primary' : 'button'} onClick={() => setKind(k)}>
            {t(`marks.kinds.${k}`)}
          </button>
        ))}
      </div>
      <div className="tabs" role="tablist" aria-label={t('marks.title')}>
        {(['red', 'black'] as const).map((c) => (
          <button
            key={c}
            type="button"
            role="tab"
            aria-selected={board === c}
            className={board === c ? 'button primary' : 'button'}
            onClick={() => setBoard(c)}
            data-testid={`board-${c}`}
          >
            {t(c === 'red' ? 'marks.red' : 'marks.black')}
          </button>
        ))}
      </div>
      {!list.data ? (
        list.error ? (
          <ErrorView error={list.error} retry={() => void list.reload()} />
        ) : (
          <Loading />
        )
      ) : list.data.items.length === 0 ? (
        <Empty>{t('marks.empty')}</Empty>
      ) : (
        <ol className="list">
          {list.data.items.map((item) => (
            <li key={item.subject.id} className="card" data-testid="board-item">
              <span className="card-title">{item.subject.label}</span>
              <span className="card-meta" data-testid="board-counts">
                {t('marks.counts', { red: item.red, black: item.black })} ·{' '}
                {board === 'red' ? t('marks.bound', { value: percent(item.redBound) }) : t('marks.blackBound', { value: percent(item.blackBound) })}
              </span>
              {item.answer && (
                <span className="card-meta" data-testid="board-answer">
                  {t('marks.answer', { text: item.answer.text })}
                </span>
              )}
              <button type="button" className="button" onClick={() => setMarking(item.subject)}>
                {t('marks.markThis')}
              </button>
            </li>
          ))}
        </ol>
      )}
      <p className="hint">{t('marks.rule')}</p>

      <section className="card" aria-labelledby="mark-title">
        <h2 id="mark-title">{t('marks.markTitle')}</h2>
        {saved && <Message kind="success">{t('marks.saved', { label: saved.subject.label, color: colorWord(saved.color) })}</Message>}
        <MarkForm
          key={marking ? marking.ref : 'typed'}
          subject={marking ?? undefined}
          current={marking ? mine.data?.items.find((m) => m.subject.id === marking.id) : undefined}
          onSaved={afterSave}
        />
      </section>

      <section aria-labelledby="my-marks-title">
        <h2 id="my-marks-title" className="section-title">
          {t('marks.mine')}
        </h2>
        {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
        {!mine.data ? (
          mine.error ? (
            <ErrorView error={mine.error} retry={() => void mine.reload()} />
          ) : (
            <Loading />
          )
        ) : mine.data.items.length === 0 ? (
          <Empty>{t('marks.noMine')}</Empty>
        ) : (
          <ul className="list">
            {mine.data.items.map((m) => (
              <li key={m.subject.id} className="card" data-testid="my-mark">
                <span className="card-title">
                  {t(`marks.kinds.${m.subject.kind}`)} · {m.subject.label}
                </span>
                <span className="card-meta">
                  {colorWord(m.color)} · {m.reason}
                </span>
                <button type="button" className="button" onClick={() => void withdraw(m.subject.id)} data-testid="withdraw">
                  {t('marks.withdraw')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function percent(bound: number): string {
  return `${(bound * 100).toFixed(1)}%`;
}
