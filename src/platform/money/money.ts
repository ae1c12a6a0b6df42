import DecimalJs from 'decimal.js';

/**
 * All money is decimal.js, never a JavaScript number. A private clone keeps our precision and
 * rounding (half up, the rule for CNY) whatever another library does to the global constructor.
 */
export const Decimal = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP });
export type Decimal = InstanceType<typeof Decimal>;

/**
 * An amount as it is written in JSON, both ways: exactly what formatMoney writes ("1000.00", "0.50"),
 * non-negative, always two decimals. docs/openapi.yaml's Money schema has this very pattern. At most 13
 * digits before the point: its fen (at most 999,999,999,999,999) stay below 2^53, so the embedded
 * database's driver, which reads a BIGINT as a JavaScript number, reads them back exactly.
 */
export const MONEY_PATTERN = /^(0|[1-9]\d{0,12})\.\d{2}$/;

/** What parseMoney reads: a non-negative decimal with at most two places ("12", "0.5" in code and constants). */
const AMOUNT = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;

export function parseMoney(text: string): Decimal {
  if (!AMOUNT.test(text)) throw new RangeError(`not a money amount: ${JSON.stringify(text)}`);
  return new Decimal(text);
}

/** Rounds half up to the fen. Call it once, where an amount is fixed (a charge, a refund, a statement line). */
export function roundToFen(amount: Decimal): Decimal {
  return amount.toDecimalPlaces(2, DecimalJs.ROUND_HALF_UP);
}

function assertWholeFen(amount: Decimal): void {
  if (!amount.isFinite() || !amount.equals(roundToFen(amount))) {
    throw new RangeError(`amount ${amount.toString()} is not a whole number of fen: round it where it is fixed`);
  }
}

/** "1000.00". Refuses an unrounded amount rather than rounding it silently. */
export function formatMoney(amount: Decimal): string {
  assertWholeFen(amount);
  return amount.toFixed(2);
}

/** Integer fen as a string, for a BIGINT column. */
export function toFen(amount: Decimal): string {
  assertWholeFen(amount);
  return amount.times(100).toFixed(0);
}

/** mysql2 returns BIGINT as a string, better-sqlite3 as a number: both exact integers of fen (MONEY_PATTERN keeps them below 2^53). */
export function fromFen(fen: string | number | bigint): Decimal {
  const value = new Decimal(typeof fen === 'bigint' ? fen.toString() : fen);
  if (!value.isInteger()) throw new RangeError(`fen value ${String(fen)} is not an integer`);
  return value.dividedBy(100);
}

export const ZERO: Decimal = new Decimal(0);

export function sum(amounts: readonly Decimal[]): Decimal {
  return amounts.reduce((total, amount) => total.plus(amount), ZERO);
}
