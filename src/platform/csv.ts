import { stringify } from 'csv-stringify/sync';

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return first) gets a
 * leading apostrophe: names come from outside (campaign titles, variants) and a CSV is opened in Excel.
 * Numbers, and amounts written as strings (-2.97), are left alone.
 */
export function neutralise(cell: string | number | null): string | number {
  if (cell === null) return '';
  if (typeof cell === 'number' || DECIMAL.test(cell)) return cell;
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** An amount as the API writes it (-2.97): a number to Excel, which an apostrophe would turn into text it cannot add up. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * UTF-8 with a byte-order mark, so that Excel opens Chinese names correctly. A cell holding any line break is
 * quoted: csv-stringify quotes only the record delimiter (CRLF), and Excel ends a row at a bare LF or CR too, so a
 * name's second line would become a row of its own, its first cell unneutralised.
 */
export function toCsv(header: readonly string[], rows: readonly (string | number | null)[][]): string {
  return stringify([header.map(neutralise), ...rows.map((row) => row.map(neutralise))], {
    bom: true,
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
  });
}
