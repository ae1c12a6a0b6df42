import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { QueryView } from '../../components/StateViews';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatMoney, formatNumber } from '../../lib/format';
import { useConsoleSummary, type ConsoleSummary } from './queries';

/** One figure: what it is, its value, a line under it, and where to act on it. */
function Tile({ id, label, value, note, to, alarm = false }: { id: string; label: string; value: ReactNode; note?: ReactNode; to: string; alarm?: boolean }) {
  return (
    <Link to={to} className={`tile${alarm ? ' tile-alarm' : ''}`} data-testid={`tile-${id}`}>
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
      {note && <span className="tile-note">{note}</span>}
    </Link>
  );
}

/** Pledges per minute over the last hour as bars (the table beside them says the same in numbers for screen readers). */
function LastHour({ summary }: { summary: ConsoleSummary }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const minutes = summary.lastHour.perMinute;
  const highest = Math.max(1, ...minutes.map((m) => m.units));
  return (
    <section aria-labelledby="last-hour-heading" className="last-hour">
      <h2 id="last-hour-heading">{t('console.home.lastHour')}</h2>
      <div className="minute-bars" aria-hidden="true">
        {minutes.map((m) => (
          <span
            key={m.minute}
            className="minute-bar"
            style={{ height: `${(m.units / highest) * 100}%` }}
            title={`${formatDateTime(m.minute).slice(11)} · ${m.units}`}
          />
        ))}
      </div>
      <p className="muted small">
        {t('console.home.lastHourNote', {
          from: formatDateTime(minutes[0]!.minute).slice(11),
          to: formatDateTime(minutes[minutes.length - 1]!.minute).slice(11),
          pledges: formatNumber(summary.lastHour.pledges, language),
          units: formatNumber(summary.lastHour.units, language),
        })}
      </p>
    </section>
  );
}

/** 概览 (/console): the business figures as tiles, each leading to the area where it is acted on. */
export function HomePage() {
  const { t } = useTranslation();
  const language = useLanguage();
  const summary = useConsoleSummary();
  const n = (value: number) => formatNumber(value, language);
  return (
    <>
      <h1>{t('console.home.title')}</h1>
      <QueryView query={summary}>
        {(s) => {
          const slowest = [...s.jobs].sort((a, b) => b.lagSeconds - a.lagSeconds)[0];
          return (
            <>
              <p className="muted">{t('console.home.asOf', { time: formatDateTime(s.at) })}</p>
              <div className="tiles">
                <Tile
                  id="pledges"
                  label={t('console.home.pledges')}
                  value={n(s.lastHour.pledges)}
                  note={t('console.home.units', { units: n(s.lastHour.units) })}
                  to="/console/campaigns"
                />
                <Tile
                  id="deposits"
                  label={t('console.home.depositsHeld')}
                  value={formatMoney(s.depositsHeld.amount)}
                  note={t('console.home.pledgeCount', { n: n(s.depositsHeld.pledges) })}
                  to="/console/money"
                />
                <Tile
                  id="balances"
                  label={t('console.home.balancesOutstanding')}
                  value={formatMoney(s.balancesOutstanding.amount)}
                  note={t('console.home.pledgeCount', { n: n(s.balancesOutstanding.pledges) })}
                  to="/console/money"
                />
                <Tile
                  id="refunds-pending"
                  label={t('console.home.refundsPending')}
                  value={n(s.refunds.pending + s.refunds.processing)}
                  note={t('console.home.refundsProcessing', { n: n(s.refunds.processing) })}
                  to="/console/money"
                />
                <Tile
                  id="refunds-failed"
                  label={t('console.home.refundsFailed')}
                  value={n(s.refunds.failed)}
                  to="/console/money"
                  alarm={s.refunds.failed > 0}
                />
                <Tile
                  id="job-lag"
                  label={t('console.home.jobLag')}
                  value={t('console.home.seconds', { seconds: n(slowest?.lagSeconds ?? 0) })}
                  note={slowest && slowest.lagSeconds > 0 ? slowest.name : t('console.home.noBacklog')}
                  to="/console/jobs"
                  alarm={(slowest?.lagSeconds ?? 0) >= 60}
                />
                <Tile
                  id="webhooks"
                  label={t('console.home.webhooksFailing')}
                  value={n(s.webhookBatchesFailing)}
                  note={t('console.home.batches')}
                  to="/console/factories"
                  alarm={s.webhookBatchesFailing > 0}
                />
                <Tile
                  id="overdue"
                  label={t('console.home.overdueBatches')}
                  value={n(s.overdueBatches)}
                  note={t('console.home.overdueNote')}
                  to="/console/factories"
                  alarm={s.overdueBatches > 0}
                />
              </div>
              <LastHour summary={s} />
            </>
          );
        }}
      </QueryView>
    </>
  );
}
