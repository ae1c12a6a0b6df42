import { useRef, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useCommitRows } from '../api/queries';
import type { Batch, CommitRowsResult, UploadRowResult } from '../api/types';
import { useLanguage } from '../i18n';
import { decodeCsv, uploadRows, type UploadRow } from '../lib/csv';
import { formatNumber } from '../lib/format';
import { ActionError, fieldErrorText } from './StateViews';

/**
 * 从 CSV 提交承诺: the planner fills in the downloaded CSV (承诺量, and 最晚出货 and 原因 where needed) and
 * uploads it. The browser only reads the file and finds its columns; the API checks every row and says
 * what committing would do (a preview), then commits all rows or none on confirmation.
 */
export function CsvUpload({ batch, describeLine }: { batch: Batch; describeLine: (lineId: string) => string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  const preview = useCommitRows(batch.id);
  const commit = useCommitRows(batch.id);
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<{ name: string; rows: UploadRow[]; blank: number } | null>(null);
  const [readProblem, setReadProblem] = useState<string | null>(null);
  const [committed, setCommitted] = useState<number | null>(null);

  // Only the rows with something filled in, without their empty cells: a large batch's file stays within the API's body size.
  const send = (rows: UploadRow[], asPreview: boolean) => ({
    rows: rows.map((r) => Object.fromEntries(Object.entries(r.cells).filter(([, cell]) => cell !== ''))),
    preview: asPreview,
  });
  const filled = (row: UploadRow) => [row.cells.quantity, row.cells.shipBy, row.cells.reason].some((cell) => cell !== undefined && cell !== '');

  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0];
    setReadProblem(null);
    setCommitted(null);
    setFile(null);
    preview.reset();
    commit.reset();
    if (!chosen) return;
    const read = uploadRows(decodeCsv(await chosen.arrayBuffer()));
    if ('missing' in read) setReadProblem(t('upload.missingColumns', { columns: read.missing.map((c) => t(`upload.column.${c}`)).join('、') }));
    else if ('empty' in read) setReadProblem(t('upload.noRows'));
    else if (!read.rows.some(filled)) setReadProblem(t('upload.nothingFilled'));
    else {
      const rows = read.rows.filter(filled);
      setFile({ name: chosen.name, rows, blank: read.rows.length - rows.length });
      preview.mutate(send(rows, true));
    }
  };

  const clear = () => {
    setFile(null);
    preview.reset();
    commit.reset();
    if (input.current) input.current.value = '';
  };

  const confirm = () => {
    if (!file) return;
    commit.mutate(send(file.rows, false), {
      onSuccess: (result) => {
        setCommitted(result.linesCommitted);
        clear();
      },
      // The batch changed since the preview (another answer, a row now refused): show what the file would do now.
      onError: (error) => {
        if (error instanceof ApiError && error.code === 'invalid_upload') preview.mutate(send(file.rows, true));
      },
    });
  };

  const result = preview.data;
  return (
    <section className="csv-upload" aria-labelledby="csv-upload-heading" data-testid="csv-upload">
      <h2 id="csv-upload-heading">{t('upload.title')}</h2>
      <p className="hint" id="csv-upload-hint">
        {t('upload.hint')}
      </p>
      {/* The browser's own file control names its button in the browser's language: it is hidden (still focusable) behind a label that reads as a button. */}
      <div className="file-choice">
        <input
          ref={input}
          id="csv-upload-file"
          className="visually-hidden"
          type="file"
          accept=".csv,text/csv"
          aria-describedby="csv-upload-hint"
          onChange={(e) => void choose(e)}
        />
        <label htmlFor="csv-upload-file" className="file-button">
          {t('upload.choose')}
        </label>
        {file && <span className="muted">{file.name}</span>}
      </div>
      {readProblem && (
        <p className="field-error" role="alert">
          {readProblem}
        </p>
      )}
      {committed !== null && (
        <p className="notice" role="status">
          {t('upload.committed', { count: committed })}
        </p>
      )}
      {preview.isPending && <p className="muted">{t('upload.checking')}</p>}
      {preview.isError && <ActionError error={preview.error} />}
      {file && result && (
        <Preview
          fileName={file.name}
          rows={file.rows}
          blank={file.blank}
          result={result}
          describeLine={describeLine}
          number={number}
          confirming={commit.isPending}
          onConfirm={confirm}
          onCancel={clear}
        />
      )}
      {commit.isError && <ActionError error={commit.error} />}
    </section>
  );
}

function Preview({
  fileName,
  rows,
  blank,
  result,
  describeLine,
  number,
  confirming,
  onConfirm,
  onCancel,
}: {
  fileName: string;
  rows: UploadRow[];
  /** Rows left blank in the file: not sent, counted with the API's skipped ones. */
  blank: number;
  result: CommitRowsResult;
  describeLine: (lineId: string) => string;
  number: (value: number) => string;
  confirming: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const { counts } = result;
  const toWrite = counts.new + counts.changed;
  const answerText = (answer: UploadRowResult['answer']) =>
    answer ? (
      <>
        {t('batch.committedSummary', { units: number(answer.quantity), date: answer.shipBy })}
        {answer.reason && <span className="cell-detail">{t(`reason.${answer.reason}`)}</span>}
      </>
    ) : (
      <span className="muted">—</span>
    );
  // Rows with nothing filled in are only counted: the table shows what the file changes or gets wrong.
  const shown = result.rows.map((row, i) => ({ row, fileRow: rows[i].fileRow, cells: rows[i].cells })).filter(({ row }) => row.outcome !== 'skipped');
  return (
    <div className="upload-preview" data-testid="upload-preview">
      <h3>{t('upload.previewOf', { file: fileName })}</h3>
      <p data-testid="upload-summary">
        {t('upload.summary', {
          new: number(counts.new),
          changed: number(counts.changed),
          unchanged: number(counts.unchanged),
          skipped: number(counts.skipped + blank),
          invalid: number(counts.invalid),
        })}
      </p>
      {shown.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label={t('upload.previewOf', { file: fileName })}>
          <table className="upload-rows">
            <thead>
              <tr>
                <th scope="col" className="num">{t('upload.fileRow')}</th>
                <th scope="col" className="num">{t('upload.column.line')}</th>
                <th scope="col">{t('upload.lineOf')}</th>
                <th scope="col">{t('upload.before')}</th>
                <th scope="col">{t('upload.after')}</th>
                <th scope="col">{t('upload.outcomeHeading')}</th>
                <th scope="col">{t('upload.problems')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map(({ row, fileRow, cells }) => (
                <tr key={fileRow} className={`upload-${row.outcome}`} data-testid="upload-row" data-file-row={fileRow} data-outcome={row.outcome}>
                  <td className="num" data-label={t('upload.fileRow')}>{fileRow}</td>
                  <td className="num" data-label={t('upload.column.line')}>{row.lineNo ?? cells.line}</td>
                  <td data-label={t('upload.lineOf')}>{row.lineId ? describeLine(row.lineId) : <span className="muted">—</span>}</td>
                  <td data-label={t('upload.before')}>{answerText(row.previous)}</td>
                  <td data-label={t('upload.after')}>{row.outcome === 'invalid' ? <span className="muted">—</span> : answerText(row.answer)}</td>
                  <td data-label={t('upload.outcomeHeading')}>
                    <span className={`badge badge-upload-${row.outcome}`}>{t(`upload.outcome.${row.outcome}`)}</span>
                  </td>
                  <td data-label={t('upload.problems')} data-testid="upload-problems">
                    {row.errors.map((e) => (
                      <span key={`${e.field}-${e.reason}`} className="field-error">
                        {t('upload.problem', { column: t(`upload.column.${e.field}`), text: fieldErrorText({ path: e.field, message: e.message, reason: e.reason, limit: e.limit }, t) })}
                      </span>
                    ))}
                    {row.warnings.map((w) => (
                      <span key={w.reason} className="cell-detail">
                        {t(`upload.warning.${w.reason}`, { limit: number(w.limit) })}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {counts.invalid > 0 ? (
        <p className="field-error" role="alert">
          {t('upload.fixErrors', { count: counts.invalid })}
        </p>
      ) : toWrite === 0 ? (
        <p className="notice" role="status">
          {t('upload.nothingToCommit')}
        </p>
      ) : null}
      <div className="form-actions">
        {counts.invalid === 0 && toWrite > 0 && (
          <button type="button" className="primary" disabled={confirming} onClick={onConfirm}>
            {t('upload.confirm', { count: toWrite })}
          </button>
        )}
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </div>
  );
}
