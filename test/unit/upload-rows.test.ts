import { type Answer, checkRows, parseDate, parseReason, parseWhole } from '../../src/forecasts/upload';

/** Reading a filled-in batch CSV's cells as planners and spreadsheets write them, and what each row would do. */
describe('cells', () => {
  test('quantities: whole numbers as typed or as a spreadsheet saved them; anything else named', () => {
    expect(parseWhole('120')).toEqual({ value: 120 });
    expect(parseWhole(' 1,200 ')).toEqual({ value: 1200 });
    expect(parseWhole('120.0')).toEqual({ value: 120 });
    expect(parseWhole('１２０')).toEqual({ value: 120 });
    expect(parseWhole(7)).toEqual({ value: 7 });
    expect(parseWhole('')).toEqual({ empty: true });
    expect(parseWhole(null)).toEqual({ empty: true });
    expect(parseWhole('一百')).toMatchObject({ problem: { reason: 'not_a_number' } });
    expect(parseWhole('12件')).toMatchObject({ problem: { reason: 'not_a_number' } });
    expect(parseWhole('1,20')).toMatchObject({ problem: { reason: 'not_a_number' } });
    expect(parseWhole('12.5')).toMatchObject({ problem: { reason: 'not_whole_number' } });
    expect(parseWhole('-3')).toMatchObject({ problem: { reason: 'too_small', limit: 0 } });
    expect(parseWhole('10000001')).toMatchObject({ problem: { reason: 'too_big', limit: 10_000_000 } });
  });

  test('dates: ISO, slashes, dots and 年月日; a day that does not exist is not a date', () => {
    for (const written of ['2027-01-31', '2027/1/31', '2027.1.31', '2027年1月31日', ' 2027-1-31 ']) expect(parseDate(written)).toEqual({ value: '2027-01-31' });
    expect(parseDate('')).toEqual({ empty: true });
    expect(parseDate('2027-02-30')).toMatchObject({ problem: { reason: 'invalid_date' } });
    expect(parseDate('下周日')).toMatchObject({ problem: { reason: 'invalid_date' } });
    expect(parseDate('31/01/2027')).toMatchObject({ problem: { reason: 'invalid_date' } });
  });

  test('reasons: the codes as the CSV writes them, or their Chinese names', () => {
    expect(parseReason('capacity')).toEqual({ value: 'capacity' });
    expect(parseReason('Material')).toEqual({ value: 'material' });
    expect(parseReason('产能不足')).toEqual({ value: 'capacity' });
    expect(parseReason('其他原因')).toEqual({ value: 'other' });
    expect(parseReason('')).toEqual({ empty: true });
    expect(parseReason('太忙')).toMatchObject({ problem: { reason: 'invalid_option' } });
  });
});

describe('rows', () => {
  const lines = [
    { id: 'a', lineNo: 1, shipWeek: '2027-W05', firmUnits: 10, highUnits: 14 },
    { id: 'b', lineNo: 2, shipWeek: '2027-W05', firmUnits: 4, highUnits: 6 },
    { id: 'c', lineNo: 3, shipWeek: '2026-W50', firmUnits: 2, highUnits: 2 },
  ];
  const answered: Answer = { quantity: 4, shipBy: '2027-02-01', reason: null, note: '三号线' };
  const batch = { version: 3, lines, answers: new Map([['b', answered]]) };
  const today = '2027-01-10';

  test('each row: new, changed, unchanged, skipped, or its errors; a default ship-by date', () => {
    const results = checkRows(
      [
        { version: '3', line: '1', quantity: '10' },
        { version: '3', line: '2', quantity: '4', shipBy: '2027/2/1' },
        { version: '3', line: '2', quantity: '3', reason: '物料不足' },
        { version: '3', line: '3', quantity: '', shipBy: '', reason: '' },
        { version: '2', line: '3', quantity: '2' },
        { line: '9', quantity: 'abc', shipBy: 'soon', reason: 'busy' },
        { line: '3', quantity: '1' },
      ],
      batch,
      today,
    );
    expect(results.map((r) => r.outcome)).toEqual(['new', 'unchanged', 'invalid', 'skipped', 'invalid', 'invalid', 'invalid']);
    // Line 1: its firm units by the Sunday of its ship week (2027-W05: 1 February – 7 February).
    expect(results[0]).toMatchObject({ lineId: 'a', lineNo: 1, answer: { quantity: 10, shipBy: '2027-02-07', reason: null, note: null }, previous: null });
    // Line 2 repeats its answer, the note kept; answered again further down, it is a duplicate.
    expect(results[1]).toMatchObject({ answer: { ...answered }, previous: answered, errors: [] });
    expect(results[2].errors.map((e) => [e.field, e.reason])).toEqual([['line', 'duplicate_line']]);
    expect(results[3]).toMatchObject({ lineNo: 3, errors: [] });
    expect(results[4].errors).toEqual([expect.objectContaining({ field: 'version', reason: 'other_version', limit: 3 })]);
    expect(results[5].errors.map((e) => [e.field, e.reason])).toEqual([
      ['line', 'not_in_batch'],
      ['quantity', 'not_a_number'],
      ['shipBy', 'invalid_date'],
      ['reason', 'invalid_option'],
    ]);
    // Line 3 was answered by a row with an error already: once per file, whatever the first row's fate.
    expect(results[6].errors.map((e) => [e.field, e.reason])).toEqual([['line', 'duplicate_line']]);
  });

  test('below the firm units a reason is required; a changed answer without a note column has none; a past ship week defaults to today', () => {
    const [short, changed, late] = checkRows(
      [
        { line: 1, quantity: 8 },
        { line: 2, quantity: 5, shipBy: '2027-02-01' },
        { line: 3, quantity: 2 },
      ],
      batch,
      today,
    );
    // More than the forecast's high end is allowed, with a warning; a date before today is not.
    const [above] = checkRows([{ line: 3, quantity: '20', shipBy: '2027-01-09' }], batch, today);
    expect(above.errors.map((e) => [e.field, e.reason])).toEqual([['shipBy', 'date_in_past']]);
    expect(above.warnings).toEqual([{ reason: 'above_high', limit: 2 }]);
    expect(short.errors).toEqual([expect.objectContaining({ field: 'reason', reason: 'reason_required', limit: 10 })]);
    expect(changed).toMatchObject({ outcome: 'changed', answer: { quantity: 5, shipBy: '2027-02-01', note: null }, previous: answered });
    expect(late).toMatchObject({ outcome: 'new', answer: { shipBy: today } });
  });
});
