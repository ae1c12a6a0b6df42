/**
 * Reading a batch's CSV back after a planner filled it in (in Excel, WPS or a text editor): the file's
 * bytes as text, its records and fields (RFC 4180), and the rows the API's commit-rows takes. Pure; the
 * API checks every row, this only finds the columns.
 */

/**
 * The file's text: UTF-8 (with or without the byte-order mark the portal's download has), or, when the
 * bytes are not UTF-8, GB18030 — what Excel on a Chinese Windows writes when it saves "CSV (逗号分隔)".
 */
export function decodeCsv(bytes: ArrayBuffer | Uint8Array): string {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    return new TextDecoder('gb18030').decode(data);
  }
}

/** A record of the file and its row number as a spreadsheet shows it (1 is the header). */
export interface CsvRecord {
  row: number;
  fields: string[];
}

/**
 * RFC 4180 records: fields separated by commas, a field in double quotes may hold commas, line breaks and
 * doubled quotes (""); records end with CRLF, LF or CR. A byte-order mark at the start is dropped, and so
 * are blank records (a spreadsheet's empty lines), which still count in the row numbers.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let row = 0;
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    record.push(field);
    row++;
    if (record.length > 1 || record[0] !== '') records.push({ row, fields: record });
    record = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else field += ch;
  }
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

/** One row for POST …/commit-rows, its cells as the file has them, and its row number in the file (2 is the first after the header). */
export interface UploadRow {
  fileRow: number;
  cells: { version?: string; line: string; quantity: string; shipBy?: string; reason?: string; note?: string };
}

type Column = keyof UploadRow['cells'];

/**
 * The columns the upload reads, by header: the download's own names (`承诺量 committed`), or either half
 * of one (`承诺量`, `committed`), in any case. Line and quantity are required; the others are read when there.
 */
const HEADERS: Record<Column, string[]> = {
  version: ['版本 version', '版本', 'version'],
  line: ['行 line', '行', 'line'],
  quantity: ['承诺量 committed', '承诺量', 'committed'],
  shipBy: ['最晚出货 ship by', '最晚出货', 'ship by'],
  reason: ['原因 reason', '原因', 'reason'],
  note: ['备注 note', '备注', 'note'],
};
export const REQUIRED_COLUMNS: readonly Column[] = ['line', 'quantity'];

const normal = (header: string) => header.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

export type UploadRead = { rows: UploadRow[] } | { missing: Column[] } | { empty: true };

/** The rows of a filled-in batch CSV, or the required columns it lacks, or that it has no rows. */
export function uploadRows(text: string): UploadRead {
  const [header, ...records] = parseCsv(text);
  if (!header) return { empty: true };
  const names = header.fields.map(normal);
  const index = Object.fromEntries(
    (Object.keys(HEADERS) as Column[]).map((column) => [column, names.findIndex((name) => HEADERS[column].some((h) => normal(h) === name))]),
  ) as Record<Column, number>;
  const missing = REQUIRED_COLUMNS.filter((column) => index[column] < 0);
  if (missing.length > 0) return { missing };
  const rows = records.map((record) => {
    const cells: UploadRow['cells'] = { line: '', quantity: '' };
    for (const column of Object.keys(HEADERS) as Column[]) if (index[column] >= 0) cells[column] = (record.fields[index[column]] ?? '').trim();
    return { fileRow: record.row, cells };
  });
  return rows.length === 0 ? { empty: true } : { rows };
}
