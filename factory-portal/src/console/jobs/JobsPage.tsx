import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useSearchParams } from 'react-router';
import { PagedTable } from '../../components/PagedTable';
import { ActionError, QueryView } from '../../components/StateViews';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatNumber, type Language } from '../../lib/format';
import { hasFieldErrors } from '../../components/Field';
import { ReasonForm } from '../../components/ReasonForm';
import { zh as words } from './i18n';
import { JOB_STATES, type Job, type JobState, type NameSummary, useJobAction, useJobSummary, useJobs } from './queries';
import './jobs.css';

/** The columns of the summary: what an operator watches (completed jobs are only in the list). */
const COUNTED: readonly JobState[] = ['due', 'running', 'failed', 'given_up', 'scheduled', 'cancelled'];
const RETRYABLE: readonly JobState[] = ['failed', 'given_up', 'cancelled'];
const CANCELLABLE: readonly JobState[] = ['due', 'scheduled', 'failed', 'given_up'];

/** A job type in the reader's language: its Chinese name with its code, or the code. */
export function jobName(name: string, language: Language): string {
  return language === 'zh' && words.names[name] ? words.names[name] : name;
}

/** How long the oldest due job has waited: 42 秒, 3 分 5 秒, 2 小时 10 分. */
export function lagText(seconds: number, t: TFunction): string {
  const whole = Math.floor(seconds);
  if (whole < 60) return t('console.jobs.lagSeconds', { count: whole });
  if (whole < 3600) return t('console.jobs.lagMinutes', { minutes: Math.floor(whole / 60), seconds: whole % 60 });
  return t('console.jobs.lagHours', { hours: Math.floor(whole / 3600), minutes: Math.floor((whole % 3600) / 60) });
}

/** 任务 (/console/jobs): per job type the due, running, failed and given-up jobs with the lag; the jobs by type and state, their errors, retry and cancel. */
export function JobsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const name = params.get('name') ?? '';
  const stateParam = params.get('state') ?? '';
  const state = (JOB_STATES as readonly string[]).includes(stateParam) ? (stateParam as JobState) : '';
  const [offset, setOffset] = useState(0);
  const filter = (next: { name: string; state: JobState | '' }) => {
    setOffset(0);
    const search = new URLSearchParams();
    if (next.name) search.set('name', next.name);
    if (next.state) search.set('state', next.state);
    setParams(search);
  };
  return (
    <>
      <h1>{t('console.jobs.title')}</h1>
      <p className="muted">{t('console.jobs.intro')}</p>
      <Summary onShow={(n, s) => filter({ name: n, state: s })} />
      <JobList name={name} state={state} offset={offset} onOffset={setOffset} onFilter={filter} />
    </>
  );
}

function Summary({ onShow }: { onShow: (name: string, state: JobState) => void }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const summary = useJobSummary();
  return (
    <section aria-labelledby="job-summary-heading">
      <h2 id="job-summary-heading">{t('console.jobs.summaryHeading')}</h2>
      <QueryView query={summary}>
        {(data) => (
          <>
            <p className="muted">{t('console.jobs.refreshed', { time: formatDateTime(data.generatedAt) })}</p>
            <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="job-summary-heading">
              <table data-testid="job-summary" className="job-summary">
                <thead>
                  <tr>
                    <th scope="col">{t('console.jobs.name')}</th>
                    {COUNTED.map((s) => (
                      <th scope="col" className="num" key={s}>
                        {t(`console.jobs.counts.${s}`)}
                      </th>
                    ))}
                    <th scope="col" className="num">
                      {t('console.jobs.lag')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.names.map((n) => (
                    <SummaryRow key={n.name} summary={n} language={language} onShow={onShow} />
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryView>
    </section>
  );
}

function SummaryRow({ summary: n, language, onShow }: { summary: NameSummary; language: Language; onShow: (name: string, state: JobState) => void }) {
  const { t } = useTranslation();
  const troubled = n.counts.failed + n.counts.given_up > 0;
  return (
    <tr data-testid="job-summary-row" data-name={n.name} className={troubled ? 'job-troubled' : undefined}>
      <th scope="row">
        <span className="job-name">{jobName(n.name, language)}</span>
        {language === 'zh' && words.names[n.name] && <code className="job-code">{n.name}</code>}
        {n.recurring && <span className="badge">{t('console.jobs.recurring')}</span>}
      </th>
      {COUNTED.map((s) => (
        <td className="num" key={s} data-state={s}>
          {n.counts[s] === 0 ? (
            <span className="muted">0</span>
          ) : (
            <button
              type="button"
              className={`link-button${s === 'failed' || s === 'given_up' ? ' job-count-bad' : ''}`}
              aria-label={t('console.jobs.showJobs', { name: jobName(n.name, language), state: t(`console.jobs.counts.${s}`), count: n.counts[s] })}
              onClick={() => onShow(n.name, s)}
            >
              {formatNumber(n.counts[s], language)}
            </button>
          )}
        </td>
      ))}
      <td className="num" data-testid="job-lag">
        {n.oldestDueAt ? lagText(n.lagSeconds, t) : t('console.jobs.noLag')}
      </td>
    </tr>
  );
}

function JobList({
  name,
  state,
  offset,
  onOffset,
  onFilter,
}: {
  name: string;
  state: JobState | '';
  offset: number;
  onOffset: (offset: number) => void;
  onFilter: (filter: { name: string; state: JobState | '' }) => void;
}) {
  const { t } = useTranslation();
  const language = useLanguage();
  const summary = useJobSummary();
  const jobs = useJobs({ name, state }, offset);
  const names = summary.data?.names.map((n) => n.name) ?? (name ? [name] : []);
  return (
    <section aria-labelledby="job-list-heading">
      <h2 id="job-list-heading">{t('console.jobs.listHeading')}</h2>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="job-filter-name">{t('console.jobs.filterName')}</label>
          <select id="job-filter-name" value={name} onChange={(e) => onFilter({ name: e.target.value, state })}>
            <option value="">{t('console.jobs.allNames')}</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {jobName(n, language)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="job-filter-state">{t('console.jobs.filterState')}</label>
          <select id="job-filter-state" value={state} onChange={(e) => onFilter({ name, state: e.target.value as JobState | '' })}>
            <option value="">{t('console.jobs.allStates')}</option>
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {t(`console.jobs.counts.${s}`)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <PagedTable
        query={jobs}
        empty={t('console.jobs.empty')}
        labelledBy="job-list-heading"
        testId="jobs"
        onOffset={onOffset}
        head={
          <>
            <th scope="col">{t('console.jobs.name')}</th>
            <th scope="col">{t('console.jobs.state')}</th>
            <th scope="col" className="num">
              {t('console.jobs.attempts')}
            </th>
            <th scope="col">{t('console.jobs.lastError')}</th>
            <th scope="col">{t('console.jobs.nextRun')}</th>
            <th scope="col">{t('console.jobs.lastRun')}</th>
            <th scope="col">
              <span className="visually-hidden">{t('console.jobs.details')}</span>
            </th>
          </>
        }
        row={(job) => <JobRow job={job} />}
      />
      {offset > 0 && jobs.data?.items.length === 0 && <p className="muted">{t('console.jobs.empty')}</p>}
    </section>
  );
}

const stateBadge = (state: JobState) =>
  state === 'failed' || state === 'given_up'
    ? 'badge badge-failed'
    : state === 'completed'
      ? 'badge badge-ok'
      : state === 'running'
        ? 'badge badge-running'
        : 'badge';

function JobRow({ job }: { job: Job }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const action = useJobAction();
  const [asking, setAsking] = useState<'retry' | 'cancel' | null>(null);
  const [done, setDone] = useState<'retry' | 'cancel' | null>(null);
  const canRetry = RETRYABLE.includes(job.state);
  const canCancel = CANCELLABLE.includes(job.state) && !job.recurring;
  const confirm = (what: 'retry' | 'cancel', reason: string) =>
    action.mutate(
      { id: job.id, action: what, reason },
      {
        onSuccess: () => {
          setDone(what);
          setAsking(null);
        },
      },
    );
  const ask = (what: 'retry' | 'cancel') => {
    action.reset();
    setDone(null);
    setAsking(what);
  };
  return (
    <tr data-testid="job-row" data-job-id={job.id} data-state={job.state}>
      <td>
        <span className="job-name">{jobName(job.name, language)}</span>
        {job.recurring && <span className="badge">{t('console.jobs.recurring')}</span>}
      </td>
      <td>
        <span className={stateBadge(job.state)} data-testid="job-state">
          {t(`console.jobs.counts.${job.state}`)}
        </span>
      </td>
      <td className="num" data-testid="job-attempts">
        {t('console.jobs.attemptsOf', { attempts: job.attempts, max: job.maxAttempts })}
      </td>
      <td className="job-error" data-testid="job-error" title={job.lastError ?? undefined}>
        {job.lastError ? truncate(job.lastError, 90) : t('console.jobs.noError')}
      </td>
      <td data-testid="job-next-run">{job.nextRunAt ? formatDateTime(job.nextRunAt) : t('console.jobs.none')}</td>
      <td>{job.lastRunAt ? formatDateTime(job.lastRunAt) : t('console.jobs.none')}</td>
      <td className="job-actions">
        <details>
          <summary>{t('console.jobs.details')}</summary>
          <dl className="job-details">
            <dt>{t('console.jobs.lastError')}</dt>
            <dd data-testid="job-full-error">{job.lastError ?? t('console.jobs.noError')}</dd>
            <dt>{t('console.jobs.payload')}</dt>
            <dd>
              <code>{JSON.stringify(job.payload)}</code>
            </dd>
            <dd className="muted">
              {t('console.jobs.createdAt', { time: formatDateTime(job.createdAt) })}
              {job.lockedAt && <> · {t('console.jobs.lockedAt', { time: formatDateTime(job.lockedAt) })}</>}
              {job.failedAt && <> · {t('console.jobs.failedAt', { time: formatDateTime(job.failedAt) })}</>}
            </dd>
          </dl>
        </details>
        {asking ? (
          <>
            <ReasonForm
              className="job-confirm"
              id={`job-reason-${job.id}`}
              ariaLabel={asking === 'retry' ? t('console.jobs.retry') : t('console.jobs.cancel')}
              question={asking === 'retry' ? t('console.jobs.retryQuestion') : t('console.jobs.cancelQuestion')}
              label={t('console.jobs.reason')}
              hint={asking === 'retry' ? t('console.jobs.retryReasonHint') : t('console.jobs.cancelReasonHint')}
              error={action.error}
              pending={action.isPending}
              danger={asking === 'cancel'}
              confirmLabel={asking === 'retry' ? t('console.jobs.confirmRetry') : t('console.jobs.confirmCancel')}
              backLabel={t('console.jobs.back')}
              onConfirm={(reason) => confirm(asking, reason)}
              onBack={() => setAsking(null)}
            />
            {action.isError && !hasFieldErrors(action.error) && <ActionError error={action.error} />}
          </>
        ) : (
          <div className="actions">
            {canRetry && (
              <button type="button" onClick={() => ask('retry')}>
                {t('console.jobs.retry')}
              </button>
            )}
            {canCancel && (
              <button type="button" onClick={() => ask('cancel')}>
                {t('console.jobs.cancel')}
              </button>
            )}
          </div>
        )}
        {done && (
          <p className="notice" role="status">
            {done === 'retry' ? t('console.jobs.retried') : t('console.jobs.cancelled')}
          </p>
        )}
      </td>
    </tr>
  );
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
