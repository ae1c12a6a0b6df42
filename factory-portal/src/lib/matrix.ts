import type { OptionDimension, VariantForecast } from '../api/types';
import { keyOfValues, variantFromKey } from '../../../src/campaigns/variant-key';


export interface MatrixCell {
  /** The variant key, as the API writes it: `colour=navy;size=L` (values escaped, see src/campaigns/variant-key.ts). */
  variant: string;
  /** Absent when no one has pledged for this variant. */
  forecast: VariantForecast | undefined;
  /** Firm units below the campaign's per-variant minimum: at close such a variant is not produced. */
  belowMinimum: boolean;
  /** Dropped at close for missing its minimum: its pledges were refunded. */
  dropped: boolean;
}

export interface VariantMatrix {
  /** The options along the rows (all but the last), e.g. [colour]. */
  rowOptions: string[];
  /** The last option, along the columns, e.g. size with S M L XL. */
  column: OptionDimension;
  rows: { values: string[]; cells: MatrixCell[] }[];
}

/** An option's display name in the portal's language, the key where it has none. */
export function optionLabel(option: OptionDimension | undefined, name: string, language: 'zh' | 'en'): string {
  return option?.label?.[language] ?? name;
}

/** A value's display name in the portal's language, the value itself where it has none. */
export function valueLabel(option: OptionDimension | undefined, value: string, language: 'zh' | 'en'): string {
  return option?.valueLabels && Object.hasOwn(option.valueLabels, value) ? option.valueLabels[value][language] : value;
}

/** A variant key as people read it, its values' labels in the portal's language ("藏青 / L"); the values themselves where the options are not known. */
export function labelledVariant(options: readonly OptionDimension[] | undefined, key: string, language: 'zh' | 'en'): string {
  return Object.entries(variantFromKey(key))
    .map(([name, value]) => valueLabel(options?.find((o) => o.name === name), value, language))
    .join(' / ');
}

/** The API's variant key for one value per option, in the product's option order (the server's own code). */
export function variantKey(options: readonly OptionDimension[], values: readonly string[]): string {
  return keyOfValues(options.map((o) => o.name), values);
}

/**
 * The variants of a product as a table a planner reads at a glance: the last option (usually size)
 * across, every combination of the others (usually colour) down. Every variant has its cell, pledged
 * for or not, so a missing size stands out.
 */
export function variantMatrix(options: readonly OptionDimension[], variants: readonly VariantForecast[], minUnits: number | null, dropped: readonly string[]): VariantMatrix {
  const byKey = new Map(variants.map((v) => [v.variant, v]));
  const rowDims = options.slice(0, -1);
  const column = options[options.length - 1];
  let rowValues: string[][] = [[]];
  for (const dim of rowDims) rowValues = rowValues.flatMap((prefix) => dim.values.map((value) => [...prefix, value]));
  return {
    rowOptions: rowDims.map((o) => o.name),
    column,
    rows: rowValues.map((values) => ({
      values,
      cells: column.values.map((value) => {
        const variant = variantKey(options, [...values, value]);
        const forecast = byKey.get(variant);
        return { variant, forecast, belowMinimum: minUnits !== null && (forecast?.firmUnits ?? 0) < minUnits, dropped: dropped.includes(variant) };
      }),
    })),
  };
}

export interface UnitTotals {
  firmUnits: number;
  expectedUnits: number;
}

/** Firm and expected units per row, per column and in all: the matrix's margins. Variants no one pledged count as zero. */
export function matrixTotals(matrix: VariantMatrix): { rows: UnitTotals[]; columns: UnitTotals[]; all: UnitTotals } {
  const add = (cells: readonly MatrixCell[]): UnitTotals => ({
    firmUnits: cells.reduce((total, c) => total + (c.forecast?.firmUnits ?? 0), 0),
    expectedUnits: cells.reduce((total, c) => total + (c.forecast?.expectedUnits ?? 0), 0),
  });
  return {
    rows: matrix.rows.map((row) => add(row.cells)),
    columns: matrix.column.values.map((_, i) => add(matrix.rows.map((row) => row.cells[i]))),
    all: add(matrix.rows.flatMap((row) => row.cells)),
  };
}
