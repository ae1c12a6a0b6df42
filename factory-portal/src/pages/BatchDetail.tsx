import { Fragment, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { useAcknowledge, useBatch, useBatches, useCampaigns, useCommit, useCommitUnchanged } from '../api/queries';
import type { Batch, BatchLine, ShortfallReason } from '../api/types';
import { BatchStatusBadge, ChangeBadge } from '../components/Badges';
import { CsvDownload } from '../components/CsvDownload';
import { CsvUpload } from '../components/CsvUpload';
import { ActionError, QueryView, fieldErrorText } from '../components/StateViews';
import { useLanguage } from '../i18n';
import { formatChange, formatDateTime, formatNumber, formatWeek, isoWeekDays, shanghaiDay } from '../lib/format';
import { labelledVariant } from '../lib/matrix';

const REASONS: ShortfallReason[] = ['capacity', 'material', 'other'];
const COLUMNS = 9;


export function BatchDetail() {
  const { id = '' } = useParams();
  const batch = useBatch(id);
  return <QueryView query={batch}>{(data) => <Detail batch={data} />}</QueryView>;
}

function Detail({ batch }: { batch: Batch }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const acknowledge = useAcknowledge(batch.id);
  const commitUnchanged = useCommitUnchanged(batch.id);
  // Option values read as the campaign labels them (黑色 / L); until the campaigns arrive, as their keys.
  const campaigns = useCampaigns();
  const optionsOf = (campaignId: string) => campaigns.data?.items.find((c) => c.id === campaignId)?.options;
  // The lines "commit all unchanged" answers (the API decides; this only counts them for the button).
  const unchangedOpen = batch.lines.filter((l) => l.previousFirmUnits === l.firmUnits && !l.commitment).length;
  // A superseded version (never acknowledged, a newer one out) is not answered: the API refuses it (409 batch_superseded), so no button offers it.
  const superseded = batch.status === 'superseded';
  const [openLine, setOpenLine] = useState<string | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  const number = (value: number) => formatNumber(value, language);
  const variantOf = (line: BatchLine) =>
    line.kind === 'campaign' ? labelledVariant(optionsOf(line.sourceKey), line.variant, language) : t(`unit.${line.variant === 'kg' ? 'kg' : 'piece'}`);
  const describeLine = (lineId: string) => {
    const line = batch.lines.find((l) => l.id === lineId);
    return line ? `${line.campaignTitle} · ${variantOf(line)}` : '';
  };
  const counts = (change: BatchLine['change']) => batch.lines.filter((l) => l.change === change).length;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/batches">{t('nav.batches')}</Link>
      </p>
      <h1 id="batch-heading">{t('batch.title', { version: batch.version })}</h1>
      <p className="card-meta">
        <BatchStatusBadge status={batch.status} />
        <span>{t('batch.published', { time: formatDateTime(batch.publishedAt) })}</span>
        <span>{t(`trigger.${batch.trigger}`)}</span>
      </p>
      <p className="muted" data-testid="change-summary">
        {t('batch.changeSummary', { new: number(counts('new')), changed: number(counts('changed')), removed: number(counts('removed')), unchanged: number(counts('unchanged')) })}
      </p>

      {superseded && <SupersededNotice />}
      <div className="actions">
        {batch.acknowledgedAt ? (
          <p className="notice">{t('batch.acknowledgedAt', { time: formatDateTime(batch.acknowledgedAt) })}</p>
        ) : superseded ? null : (
          <button type="button" className="primary" disabled={acknowledge.isPending} onClick={() => acknowledge.mutate()}>
            {t('batch.acknowledge')}
          </button>
        )}
        <CsvDownload
          path={`/v1/factory/forecast-batches/${encodeURIComponent(batch.id)}?format=csv`}
          fallbackName={`forecast-v${batch.version}.csv`}
          label={t('batch.downloadCsv')}
        />
      </div>
      {batch.acknowledgedAt && unchangedOpen > 0 && (
        <div className="actions">
          <button type="button" className="primary" disabled={commitUnchanged.isPending} onClick={() => commitUnchanged.mutate()} aria-describedby="commit-unchanged-hint">
            {t('batch.commitUnchanged', { count: unchangedOpen })}
          </button>
          <p className="hint" id="commit-unchanged-hint">
            {t('batch.commitUnchangedHint')}
          </p>
        </div>
      )}
      {commitUnchanged.isSuccess && (
        <p className="notice" role="status">
          {t('batch.committedUnchanged', { count: commitUnchanged.data.linesCommitted })}
        </p>
      )}
      {commitUnchanged.isError && <ActionError error={commitUnchanged.error} />}
      {acknowledge.isError && <ActionError error={acknowledge.error} />}
      {!batch.acknowledgedAt && !superseded && <p className="muted">{t('batch.acknowledgeFirst')}</p>}
      {batch.acknowledgedAt && !superseded && <CsvUpload batch={batch} describeLine={describeLine} />}
      {saved !== null && (
        <p className="notice" role="status">
          {t('batch.saved', { line: saved })}
        </p>
      )}

      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="batch-heading">
        <table className="lines" data-testid="batch-lines">
          <thead>
            <tr>
              <th scope="col" className="num">#</th>
              <th scope="col">{t('batch.product')}</th>
              <th scope="col">{t('batch.variant')}</th>
              <th scope="col">{t('batch.shipWeek')}</th>
              <th scope="col" className="num">{t('units.firm')}</th>
              <th scope="col" className="num">{t('units.expected')}</th>
              <th scope="col">{t('batch.change')}</th>
              <th scope="col">{t('batch.commitment')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('batch.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {batch.lines.map((line) => {
              const formId = `commit-${line.id}`;
              const isOpen = openLine === line.id;
              return (
                <Fragment key={line.id}>
                  <tr className={`change-${line.change}`} data-testid="batch-line" data-line-no={line.lineNo}>
                    <td className="num" data-label="#">{line.lineNo}</td>
                    <td data-label={t('batch.product')}>{line.kind === 'campaign' ? <Link to={`/campaigns/${line.sourceKey}`}>{line.campaignTitle}</Link> : line.campaignTitle}</td>
                    <td data-label={t('batch.variant')}>{variantOf(line)}</td>
                    <td data-label={t('batch.shipWeek')}>{formatWeek(line.shipWeek, language)}</td>
                    <td className="num" data-label={t('units.firm')}>
                      {number(line.firmUnits)}
                      {line.firmUnitsChange !== 0 && line.change !== 'new' && <span className="delta">{formatChange(line.firmUnitsChange, language)}</span>}
                    </td>
                    <td className="num" data-label={t('units.expected')}>
                      {number(line.expectedUnits)}
                      {line.expectedUnitsChange !== 0 && line.change !== 'new' && <span className="delta">{formatChange(line.expectedUnitsChange, language)}</span>}
                      <span className="cell-detail">{t('units.rangeOf', { low: number(line.lowUnits), high: number(line.highUnits) })}</span>
                    </td>
                    <td data-label={t('batch.change')}>
                      <ChangeBadge change={line.change} />
                    </td>
                    <td data-testid="line-commitment" data-label={t('batch.commitment')}>
                      {line.commitment ? (
                        <>
                          {t('batch.committedSummary', { units: number(line.commitment.quantity), date: line.commitment.shipBy })}
                          {line.commitment.reason && <span className="cell-detail">{t(`reason.${line.commitment.reason}`)}</span>}
                          {line.commitment.carriedFromVersion !== null && (
                            <span className="cell-detail" data-testid="carried-from">
                              {t('batch.carriedFrom', { version: line.commitment.carriedFromVersion })}
                            </span>
                          )}
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td className="line-action">
                      {!superseded && (
                        <button
                          type="button"
                          aria-expanded={isOpen}
                          aria-controls={isOpen ? formId : undefined}
                          disabled={!batch.acknowledgedAt}
                          onClick={() => setOpenLine(isOpen ? null : line.id)}
                        >
                          {t(line.commitment ? 'batch.editCommitment' : 'batch.commit')}
                          <span className="visually-hidden"> {t('batch.lineNo', { line: line.lineNo })}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                  {isOpen && (
                    <tr className="commit-row">
                      <td colSpan={COLUMNS}>
                        <CommitForm
                          id={formId}
                          batch={batch}
                          line={line}
                          onDone={() => {
                            setOpenLine(null);
                            setSaved(line.lineNo);
                          }}
                          onCancel={() => setOpenLine(null)}
                        />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Why a superseded version has no buttons, and where the version to answer is. */
function SupersededNotice() {
  const { t } = useTranslation();
  const newest = useBatches(0).data?.items[0];
  return (
    <p className="notice" data-testid="superseded-notice">
      {t('batch.supersededNotice')}{' '}
      {newest && <Link to={`/batches/${newest.id}`}>{t('batch.goToNewest', { version: newest.version })}</Link>}
    </p>
  );
}

type Field = 'quantity' | 'shipBy' | 'reason' | 'note';

/** Sunday of the line's ship week, or today if that has passed: a ship-by date the API accepts. */
function defaultShipBy(line: BatchLine): string {
  const today = shanghaiDay(new Date());
  const { sunday } = isoWeekDays(line.shipWeek);
  return sunday < today ? today : sunday;
}

/**
 * One line's answer. The browser does not validate it: the API does, and its message for each field is
 * shown next to that field (a reason is required when the quantity is below the firm units).
 */
function CommitForm({ id, batch, line, onDone, onCancel }: { id: string; batch: Batch; line: BatchLine; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const commit = useCommit(batch.id);
  const [quantity, setQuantity] = useState(String(line.commitment?.quantity ?? line.firmUnits));
  const [shipBy, setShipBy] = useState(line.commitment?.shipBy ?? defaultShipBy(line));
  const [reason, setReason] = useState<ShortfallReason | ''>(line.commitment?.reason ?? '');
  const [note, setNote] = useState(line.commitment?.note ?? '');

  const apiError = commit.error instanceof ApiError ? commit.error : null;
  const fieldError = (field: Field) => {
    const error = apiError?.fieldErrors.find((e) => e.path === `body.lines.0.${field}`);
    return error && fieldErrorText(error, t);
  };
  const hasFieldErrors = (['quantity', 'shipBy', 'reason', 'note'] as const).some((f) => fieldError(f) !== undefined);
  const describedBy = (field: Field) => (fieldError(field) ? `${id}-${field}-error` : `${id}-${field}-hint`);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    commit.mutate(
      {
        lineId: line.id,
        quantity: quantity.trim() === '' ? null : Number(quantity),
        shipBy,
        ...(reason ? { reason } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      },
      { onSuccess: onDone },
    );
  };

  const fieldMessage = (field: Field) =>
    fieldError(field) ? (
      <p className="field-error" id={`${id}-${field}-error`}>
        {fieldError(field)}
      </p>
    ) : null;

  return (
    <form id={id} className="commit-form" onSubmit={submit} noValidate aria-label={t('batch.commitFormLabel', { line: line.lineNo })}>
      <div className="field">
        <label htmlFor={`${id}-quantity`}>{t('batch.quantity')}</label>
        <input
          id={`${id}-quantity`}
          type="number"
          inputMode="numeric"
          min={0}
          step={1}
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
          aria-invalid={fieldError('quantity') !== undefined}
          aria-describedby={describedBy('quantity')}
        />
        <p className="hint" id={`${id}-quantity-hint`}>
          {t('batch.quantityHint', { firm: formatNumber(line.firmUnits, language), expected: formatNumber(line.expectedUnits, language) })}
        </p>
        {fieldMessage('quantity')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-shipBy`}>{t('batch.shipBy')}</label>
        <input id={`${id}-shipBy`} type="date" value={shipBy} onChange={(e) => setShipBy(e.target.value)} aria-invalid={fieldError('shipBy') !== undefined} aria-describedby={describedBy('shipBy')} />
        <p className="hint" id={`${id}-shipBy-hint`}>
          {t('batch.shipByHint')}
        </p>
        {fieldMessage('shipBy')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-reason`}>{t('batch.reason')}</label>
        <select id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.target.value as ShortfallReason | '')} aria-invalid={fieldError('reason') !== undefined} aria-describedby={describedBy('reason')}>
          <option value="">{t('reason.none')}</option>
          {REASONS.map((r) => (
            <option key={r} value={r}>
              {t(`reason.${r}`)}
            </option>
          ))}
        </select>
        <p className="hint" id={`${id}-reason-hint`}>
          {t('batch.reasonHint')}
        </p>
        {fieldMessage('reason')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-note`}>{t('batch.note')}</label>
        <input id={`${id}-note`} type="text" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} aria-invalid={fieldError('note') !== undefined} aria-describedby={describedBy('note')} />
        <p className="hint" id={`${id}-note-hint`}>
          {t('batch.noteHint')}
        </p>
        {fieldMessage('note')}
      </div>
      {commit.isError && !hasFieldErrors && <ActionError error={commit.error} />}
      {hasFieldErrors && (
        <p className="field-error" role="alert">
          {t('batch.fixFields')}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={commit.isPending}>
          {t('batch.submitCommitment')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
