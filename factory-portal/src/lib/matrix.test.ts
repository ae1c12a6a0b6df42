import { describe, expect, test } from 'vitest';
import type { OptionDimension, VariantForecast } from '../api/types';
import { labelledVariant, matrixTotals, variantMatrix } from './matrix';

const forecast = (variant: string, firmUnits: number): VariantForecast => ({
  variant, firmUnits, paidUnits: firmUnits, awaitingDepositUnits: 0, awaitingBalanceUnits: 0, paidBalanceUnits: 0, expectedUnits: firmUnits * 2, lowUnits: firmUnits, highUnits: firmUnits * 3,
});
/** An option as the API sends one with no labels given: each label is the key. */
const option = (name: string, values: string[]): OptionDimension => ({
  name, values, label: { zh: name, en: name }, valueLabels: Object.fromEntries(values.map((v) => [v, { zh: v, en: v }])),
});
const colourBySize = [option('colour', ['black', 'navy']), option('size', ['S', 'M', 'L'])];

describe('variant matrix', () => {
  test('puts the last option across and the others down, with a cell for every variant', () => {
    const matrix = variantMatrix(colourBySize, [forecast('colour=navy;size=L', 2), forecast('colour=black;size=M', 3)], null, []);
    expect(matrix.rowOptions).toEqual(['colour']);
    expect(matrix.column).toEqual(option('size', ['S', 'M', 'L']));
    expect(matrix.rows.map((r) => r.values)).toEqual([['black'], ['navy']]);
    expect(matrix.rows[0].cells.map((c) => [c.variant, c.forecast?.firmUnits])).toEqual([
      ['colour=black;size=S', undefined], ['colour=black;size=M', 3], ['colour=black;size=L', undefined],
    ]);
    expect(matrix.rows[1].cells[2].forecast?.expectedUnits).toBe(4);
  });

  test('marks variants below the per-variant minimum, unpledged ones included, and those dropped at close', () => {
    const matrix = variantMatrix(colourBySize, [forecast('colour=navy;size=L', 5), forecast('colour=black;size=M', 4)], 5, ['colour=black;size=M']);
    const marks = matrix.rows.flatMap((r) => r.cells).map((c) => [c.variant, c.belowMinimum, c.dropped]);
    expect(marks).toContainEqual(['colour=navy;size=L', false, false]);
    expect(marks).toContainEqual(['colour=black;size=M', true, true]);
    expect(marks).toContainEqual(['colour=black;size=S', true, false]);
  });

  test('with one option there is one row; with three, a row per combination of the first two', () => {
    expect(variantMatrix([option('size', ['S', 'M'])], [], null, []).rows).toEqual([
      { values: [], cells: [expect.objectContaining({ variant: 'size=S' }), expect.objectContaining({ variant: 'size=M' })] },
    ]);
    const three = variantMatrix([...colourBySize, option('fill', ['80', '90'])], [], null, []);
    expect(three.rows.map((r) => r.values.join('/'))).toEqual(['black/S', 'black/M', 'black/L', 'navy/S', 'navy/M', 'navy/L']);
    expect(three.rows[0].cells.map((c) => c.variant)).toEqual(['colour=black;size=S;fill=80', 'colour=black;size=S;fill=90']);
  });

  test("labels a variant by its values' labels in the portal's language, by the values where the options are not known", () => {
    const labelled = [{ ...option('colour', ['black', 'navy']), valueLabels: { black: { zh: '黑色', en: 'Black' }, navy: { zh: '藏青', en: 'Navy' } } }, option('size', ['L'])];
    expect(labelledVariant(labelled, 'colour=navy;size=L', 'zh')).toBe('藏青 / L');
    expect(labelledVariant(labelled, 'colour=navy;size=L', 'en')).toBe('Navy / L');
    expect(labelledVariant(undefined, 'colour=navy;size=L', 'zh')).toBe('navy / L');
  });

  test('finds and labels variants whose values hold "=", ";" or "%", as the API escapes them', () => {
    const options = [option('fit', ['slim;size=L', '100%']), option('size', ['M'])];
    const matrix = variantMatrix(options, [forecast('fit=slim%3Bsize%3DL;size=M', 2)], null, []);
    expect(matrix.rows.map((r) => [r.values, r.cells[0].forecast?.firmUnits])).toEqual([[['slim;size=L'], 2], [['100%'], undefined]]);
    expect(labelledVariant(options, 'fit=slim%3Bsize%3DL;size=M', 'zh')).toBe('slim;size=L / M');
    expect(labelledVariant(undefined, 'fit=100%25;size=M', 'zh')).toBe('100% / M');
  });

  test('totals each row, each column and the whole, counting variants no one pledged as zero', () => {
    const matrix = variantMatrix(colourBySize, [forecast('colour=black;size=S', 2), forecast('colour=black;size=L', 1), forecast('colour=navy;size=S', 3)], null, []);
    expect(matrixTotals(matrix)).toEqual({
      rows: [{ firmUnits: 3, expectedUnits: 6 }, { firmUnits: 3, expectedUnits: 6 }],
      columns: [{ firmUnits: 5, expectedUnits: 10 }, { firmUnits: 0, expectedUnits: 0 }, { firmUnits: 1, expectedUnits: 2 }],
      all: { firmUnits: 6, expectedUnits: 12 },
    });
  });
});
