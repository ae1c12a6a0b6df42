/**
 * Commitments from an uploaded file, pure: each row of a batch's CSV as the planner filled it in (its
 * cells as text, as a spreadsheet saved them) checked against the batch's lines and their answers, and
 * what committing it would do. The route commits all rows or none.
 */
import { DateTime } from 'luxon';
import { isoWeekDates } from '../platform/calendar';
import type { ShortfallReason } from './forecast.entity';

/** A cell as the client read it from the file: text (a spreadsheet's), or a number from a JSON client; null or absent when empty. */
export type Cell = string | number | null | undefined;

export interface UploadRow {
  /** The file's version column, when it has one: a row of another version's file is refused. */
  version?: Cell;
  /** The line number (行 line). */
  line?: Cell;
  /** The committed quantity (承诺量 committed); a row without one is skipped. */
  quantity?: Cell;
  /** Ship-by date; empty: the line's current answer's, else the Sunday of its ship week (today once that has passed). */
  shipBy?: Cell;
  /** Why fewer than the firm units: capacity, material, other, or their Chinese names. */
  reason?: Cell;
  note?: string | null;
}

export type UploadField = 'version' | 'line' | 'quantity' | 'shipBy' | 'reason' | 'note';

export interface RowProblem {
  field: UploadField;
  /** required, not_a_number, not_whole_number, too_small, too_big, other_version, not_in_batch, duplicate_line, invalid_date, date_in_past, invalid_option, reason_required */
  reason: string;
  limit?: number;
  message: string;
}

export interface Answer {
  quantity: number;
  shipBy: string;
  reason: ShortfallReason | null;
  note: string | null;
}

/** What a row would do: answer a line for the first time (new), change its answer (changed), say what it already says (unchanged), nothing (skipped: no quantity), or it has errors (invalid). */
export type RowOutcome = 'new' | 'changed' | 'unchanged' | 'skipped' | 'invalid';

export interface RowResult {
  outcome: RowOutcome;
  lineId: string | null;
  lineNo: number | null;
  /** The answer the row gives (new, changed, unchanged). */
  answer: Answer | null;
  /** The line's answer before this upload. */
  previous: Answer | null;
  errors: RowProblem[];
  /** Allowed, but worth a second look: above_high (more than the forecast's high end, the limit). */
  warnings: { reason: 'above_high'; limit: number }[];
}

export interface UploadLine {
  id: string;
  lineNo: number;
  shipWeek: string;
  firmUnits: number;
  highUnits: number;
}

export const MAX_QUANTITY = 10_000_000;

const REASONS: Record<string, ShortfallReason> = {
  capacity: 'capacity',
  产能不足: 'capacity',
  产能: 'capacity',
  material: 'material',
  物料不足: 'material',
  物料: 'material',
  材料不足: 'material',
  other: 'other',
  其他原因: 'other',
  其他: 'other',
  其它: 'other',
};

/** Full-width digits and letters (an input method's １２０) read as ASCII; spaces around dropped. */
const text = (cell: Cell): string => (cell === null || cell === undefined ? '' : String(cell).normalize('NFKC').trim());

type Parsed<T> = { value: T } | { problem: Omit<RowProblem, 'field'> } | { empty: true };

/** A whole number of units: 120, 1,200 (a spreadsheet's thousands), 120.0. */
export function parseWhole(cell: Cell): Parsed<number> {
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return { problem: { reason: 'not_a_number', message: 'is not a number' } };
    return checkWhole(cell);
  }
  const t = text(cell).replace(
    /^(\d{1,3})((?:,\d{3})+)(\.\d*)?$/,
    (_all, head: string, rest: string, fraction = '') => head + rest.replace(/,/g, '') + fraction,
  );
  if (t === '') return { empty: true };
  if (!/^[-+]?\d+(\.\d+)?$/.test(t)) return { problem: { reason: 'not_a_number', message: 'is not a number' } };
  return checkWhole(Number(t));
}

function checkWhole(n: number): Parsed<number> {
  if (n < 0) return { problem: { reason: 'too_small', limit: 0, message: 'must be 0 or more' } };
  if (!Number.isInteger(n)) return { problem: { reason: 'not_whole_number', message: 'must be a whole number' } };
  if (n > MAX_QUANTITY) return { problem: { reason: 'too_big', limit: MAX_QUANTITY, message: `must be at most ${MAX_QUANTITY}` } };
  return { value: n };
}

/** A date as people and spreadsheets write it: 2027-01-31, 2027/1/31, 2027.1.31, 2027年1月31日. */
export function parseDate(cell: Cell): Parsed<string> {
  const t = text(cell);
  if (t === '') return { empty: true };
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  const date = m ? DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, { zone: 'utc' }) : undefined;
  if (!date?.isValid) return { problem: { reason: 'invalid_date', message: 'must be a date such as 2027-01-31' } };
  return { value: date.toISODate()! };
}

export function parseReason(cell: Cell): Parsed<ShortfallReason> {
  const t = text(cell).toLowerCase();
  if (t === '') return { empty: true };
  const reason = REASONS[t];
  return reason ? { value: reason } : { problem: { reason: 'invalid_option', message: 'must be capacity, material or other (产能不足, 物料不足, 其他原因)' } };
}

const same = (a: Answer, b: Answer, withNote: boolean) =>
  a.quantity === b.quantity && a.shipBy === b.shipBy && a.reason === b.reason && (!withNote || a.note === b.note);

/**
 * Each row against the batch (its version, lines and current answers) on `today` (Asia/Shanghai). A row
 * with nothing in its quantity, ship-by and reason is skipped; the others answer their line. Only an
 * answer that would be written is held to the rules for a new one (a ship-by date from today on, a
 * reason below the firm units): a row that repeats a line's answer is unchanged, whatever day it is.
 */
export function checkRows(
  rows: readonly UploadRow[],
  batch: { version: number; lines: readonly UploadLine[]; answers: ReadonlyMap<string, Answer> },
  today: string,
): RowResult[] {
  const byNo = new Map(batch.lines.map((l) => [l.lineNo, l]));
  const seen = new Set<number>();
  return rows.map((row) => {
    const errors: RowProblem[] = [];
    const fail = (field: UploadField, parsed: Parsed<unknown>) => {
      if ('problem' in parsed) errors.push({ field, ...parsed.problem });
    };
    const quantity = parseWhole(row.quantity);
    const shipBy = parseDate(row.shipBy);
    const reason = parseReason(row.reason);
    const result: RowResult = { outcome: 'skipped', lineId: null, lineNo: null, answer: null, previous: null, errors, warnings: [] };

    const lineNo = parseWhole(row.line);
    const line = 'value' in lineNo ? byNo.get(lineNo.value) : undefined;
    if (line) Object.assign(result, { lineId: line.id, lineNo: line.lineNo, previous: batch.answers.get(line.id) ?? null });
    if ('empty' in quantity && 'empty' in shipBy && 'empty' in reason) return result;

    const version = parseWhole(row.version);
    if ('value' in version && version.value !== batch.version)
      errors.push({
        field: 'version',
        reason: 'other_version',
        limit: batch.version,
        message: `is another version's row: this batch is version ${batch.version}`,
      });
    else fail('version', version);
    if ('empty' in lineNo) errors.push({ field: 'line', reason: 'required', message: 'is required' });
    else if (!line) errors.push({ field: 'line', reason: 'not_in_batch', message: 'is not a line of this batch' });
    else if (seen.has(line.lineNo)) errors.push({ field: 'line', reason: 'duplicate_line', message: 'is answered by an earlier row of the file' });
    if (line) seen.add(line.lineNo);
    if ('empty' in quantity) errors.push({ field: 'quantity', reason: 'required', message: 'is required' });
    fail('quantity', quantity);
    fail('shipBy', shipBy);
    fail('reason', reason);
    if (errors.length > 0 || !line || !('value' in quantity)) return { ...result, outcome: 'invalid' };

    const previous = result.previous;
    const defaultShipBy = () => {
      const sunday = isoWeekDates(line.shipWeek).last;
      return sunday < today ? today : sunday;
    };
    const note = typeof row.note === 'string' && row.note.trim() !== '' ? row.note.trim() : null;
    const answer: Answer = {
      quantity: quantity.value,
      shipBy: 'value' in shipBy ? shipBy.value : (previous?.shipBy ?? defaultShipBy()),
      reason: 'value' in reason ? reason.value : null,
      note,
    };
    // No note column (or an empty one): the note is left as it is when nothing else changes.
    const withNote = note !== null;
    if (answer.quantity > line.highUnits) result.warnings.push({ reason: 'above_high', limit: line.highUnits });
    if (previous && same(previous, answer, withNote)) return { ...result, outcome: 'unchanged', answer: { ...answer, note: previous.note } };
    if (answer.shipBy < today) errors.push({ field: 'shipBy', reason: 'date_in_past', message: 'must be today or later' });
    if (answer.quantity < line.firmUnits && !answer.reason)
      errors.push({
        field: 'reason',
        reason: 'reason_required',
        limit: line.firmUnits,
        message: `is required when the quantity is below the firm units (${line.firmUnits}): capacity, material or other`,
      });
    if (errors.length > 0) return { ...result, outcome: 'invalid', answer };
    return { ...result, outcome: previous ? 'changed' : 'new', answer };
  });
}
