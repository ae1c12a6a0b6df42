import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CsvDownload } from '../../components/CsvDownload';
import { PagedTable } from '../../components/PagedTable';
import { useLanguage } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { ACTIONS, actionLabel } from './actions';
import { auditQuery, useAuditLog, type AuditEntry, type AuditFilter } from './queries';

const DAY_MS = 86_400_000;
/** A Shanghai day (YYYY-MM-DD) as the instant it starts. */
const dayStart = (day: string) => new Date(`${day}T00:00:00+08:00`);

interface Draft {
  actor: string;
  action: string;
  subjectId: string;
  fromDay: string;
  toDay: string;
}
const EMPTY: Draft = { actor: '', action: '', subjectId: '', fromDay: '', toDay: '' };

/** The form's fields as the API's filter: days are Shanghai days, the "to" day included. */
function filterOf(draft: Draft): AuditFilter {
  return {
    actor: draft.actor.trim() || undefined,
    action: draft.action || undefined,
    subjectId: draft.subjectId.trim() || undefined,
    from: draft.fromDay ? dayStart(draft.fromDay).toISOString() : undefined,
    to: draft.toDay ? new Date(dayStart(draft.toDay).getTime() + DAY_MS).toISOString() : undefined,
  };
}

/** 审计日志 (/console/audit): every state-changing operator action, newest first, filtered; as CSV. */
export function AuditPage() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [filter, setFilter] = useState<AuditFilter>({});
  const [offset, setOffset] = useState(0);
  const log = useAuditLog(filter, offset);
  const field = (name: keyof Draft) => ({
    id: `audit-${name}`,
    value: draft[name],
    onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }),
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilter(filterOf(draft));
    setOffset(0);
  };
  const clear = () => {
    setDraft(EMPTY);
    setFilter({});
    setOffset(0);
  };
  const actions = Object.keys(ACTIONS).sort((a, b) => ACTIONS[a]![language].localeCompare(ACTIONS[b]![language], language === 'zh' ? 'zh-CN' : 'en'));
  const csv = auditQuery(filter);
  csv.set('format', 'csv');

  return (
    <>
      <h1>{t('console.audit.title')}</h1>
      <p className="muted">{t('console.audit.intro')}</p>
      <form className="console-filters" role="search" aria-label={t('console.audit.filters')} onSubmit={apply} noValidate>
        <div className="field">
          <label htmlFor="audit-actor">{t('console.audit.actor')}</label>
          <input type="search" placeholder={t('console.audit.actorHint')} {...field('actor')} />
        </div>
        <div className="field">
          <label htmlFor="audit-action">{t('console.audit.action')}</label>
          <select {...field('action')}>
            <option value="">{t('console.audit.anyAction')}</option>
            {actions.map((key) => (
              <option key={key} value={key}>
                {ACTIONS[key]![language]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-subjectId">{t('console.audit.subject')}</label>
          <input type="search" {...field('subjectId')} />
        </div>
        <div className="field">
          <label htmlFor="audit-fromDay">{t('console.audit.fromDay')}</label>
          <input type="date" {...field('fromDay')} />
        </div>
        <div className="field">
          <label htmlFor="audit-toDay">{t('console.audit.toDay')}</label>
          <input type="date" {...field('toDay')} />
        </div>
        <div className="form-actions">
          <button type="submit" className="primary">
            {t('console.audit.apply')}
          </button>
          <button type="button" onClick={clear}>
            {t('console.audit.clear')}
          </button>
        </div>
      </form>
      <section aria-labelledby="audit-heading">
        <h2 id="audit-heading">{t('console.audit.entries')}</h2>
        <div className="actions">
          <CsvDownload path={`/v1/audit-log?${csv.toString()}`} fallbackName="audit-log.csv" label={t('console.audit.download')} />
        </div>
        <PagedTable
          query={log}
          empty={t('console.audit.empty')}
          labelledBy="audit-heading"
          testId="audit-log"
          onOffset={setOffset}
          head={
            <>
              <th scope="col">{t('console.audit.at')}</th>
              <th scope="col">{t('console.audit.actor')}</th>
              <th scope="col">{t('console.audit.action')}</th>
              <th scope="col">{t('console.audit.subject')}</th>
              <th scope="col">{t('console.audit.reason')}</th>
              <th scope="col">{t('console.audit.outcome')}</th>
              <th scope="col">{t('console.audit.summary')}</th>
            </>
          }
          row={(entry: AuditEntry) => (
            <tr data-testid="audit-entry">
              <td className="nowrap">{formatDateTime(entry.at)}</td>
              <td>
                {entry.actor.name}
                {entry.actor.email && <div className="muted small">{entry.actor.email}</div>}
              </td>
              <td data-testid="audit-action">
                {actionLabel(entry.method, entry.route, language)}
                {/* The route under the words; an action without words is its route already. */}
                {`${entry.method} ${entry.route}` in ACTIONS && (
                  <div className="muted small">
                    <code>
                      {entry.method} {entry.route}
                    </code>
                  </div>
                )}
              </td>
              <td>
                {entry.subjectId ? <code className="id">{entry.subjectId}</code> : '—'}
                {/* The route's other parameters (the first is the subject): which key, user or delivery. */}
                {Object.entries(entry.params ?? {})
                  .slice(1)
                  .map(([name, value]) => (
                    <div key={name} className="muted small" data-testid="audit-param">
                      {name}: <code className="id">{value}</code>
                    </div>
                  ))}
              </td>
              <td>{entry.reason ?? '—'}</td>
              <td>
                <span className={`badge badge-audit-${entry.status}`} data-testid="audit-outcome">
                  {t(`console.audit.status.${entry.status}`)}
                </span>
                {entry.httpStatus !== null && <div className="muted small">HTTP {entry.httpStatus}</div>}
              </td>
              <td className="audit-summary">{entry.summary ? <code>{entry.summary}</code> : '—'}</td>
            </tr>
          )}
        />
      </section>
    </>
  );
}
