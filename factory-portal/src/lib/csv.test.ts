import { describe, expect, test } from 'vitest';
import { decodeCsv, parseCsv, uploadRows } from './csv';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('parseCsv', () => {
  test('fields, quotes, doubled quotes, commas and line breaks inside quotes, CRLF, LF and CR', () => {
    expect(fields('a,b,c\r\n1,"x,y","say ""hi"""\r\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x,y', 'say "hi"'],
    ]);
    expect(fields('a,"two\r\nlines"\nb,\rc')).toEqual([['a', 'two\r\nlines'], ['b', ''], ['c']]);
    expect(fields('last,row,without,newline')).toEqual([['last', 'row', 'without', 'newline']]);
  });

  test('a byte-order mark is dropped; blank lines are skipped but still count as rows', () => {
    expect(parseCsv('\uFEFF行 line,承诺量 committed\r\n\r\n3,12\r\n\r\n')).toEqual([
      { row: 1, fields: ['行 line', '承诺量 committed'] },
      { row: 3, fields: ['3', '12'] },
    ]);
  });
});

describe('decodeCsv', () => {
  test('UTF-8 with or without a byte-order mark, and GB18030 as Excel saves it on a Chinese Windows', () => {
    const utf8 = new TextEncoder().encode('\uFEFF活动,承诺量');
    expect(decodeCsv(utf8)).toBe('活动,承诺量');
    expect(decodeCsv(new TextEncoder().encode('活动'))).toBe('活动');
    // 活动 in GB18030 (GBK): bytes that are not UTF-8.
    expect(decodeCsv(new Uint8Array([0xbb, 0xee, 0xb6, 0xaf, 0x2c, 0x31]))).toBe('活动,1');
  });
});

describe('uploadRows', () => {
  const header = '版本 version,发布时间 published (Asia/Shanghai),行 line,活动 campaign,承诺量 committed,最晚出货 ship by,原因 reason,规格 colour';

  test('the columns by their header, wherever they are; each row with its number in the file', () => {
    const read = uploadRows(`\uFEFF${header}\r\n3,2027-01-10 09:00,1,羽绒服,120,2027/1/31,,black\r\n\r\n3,2027-01-10 09:00,2,羽绒服,,,,navy\r\n`);
    expect(read).toEqual({
      rows: [
        { fileRow: 2, cells: { version: '3', line: '1', quantity: '120', shipBy: '2027/1/31', reason: '' } },
        { fileRow: 4, cells: { version: '3', line: '2', quantity: '', shipBy: '', reason: '' } },
      ],
    });
  });

  test('half a header name will do, in any case; a note column is read when there', () => {
    expect(uploadRows('Line,COMMITTED,备注\n1,5,加急')).toEqual({ rows: [{ fileRow: 2, cells: { line: '1', quantity: '5', note: '加急' } }] });
  });

  test('a file without the line or quantity column, or without rows, says so', () => {
    expect(uploadRows('活动,确定量\n羽绒服,3')).toEqual({ missing: ['line', 'quantity'] });
    expect(uploadRows(`${header}\r\n`)).toEqual({ empty: true });
    expect(uploadRows('')).toEqual({ empty: true });
  });
});
